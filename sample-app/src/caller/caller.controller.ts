import { Controller, Get } from '@nestjs/common';
import { Caller, RequireScope } from 'zitadel-resource-server/nest';
import type { Principal } from 'zitadel-resource-server';

/** ZITADEL's reserved scope that adds the user's organization to tokens and introspection. */
const RESOURCE_OWNER_SCOPE = 'urn:zitadel:iam:user:resourceowner';

export interface CallerView {
  readonly subject: string;
  readonly clientId: string | null;
  readonly organization: { readonly id: string | null; readonly name: string | null; readonly primaryDomain: string | null };
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly scopes: readonly string[];
  readonly verifiedBy: string;
  readonly tokenKind: string;
  readonly expiresAt: string | null;
}

/**
 * Who is calling, as this API sees it.
 *
 * A scope check with ZITADEL: ZITADEL has no custom scopes, only reserved ones, and
 * per-route permissions are roles. `urn:zitadel:iam:user:resourceowner` is a reserved
 * scope with a meaning for this route: only when the client asked for it does ZITADEL
 * add the organization's name and primary domain to the token (and to introspection),
 * and this route shows them. A personal access token always carries it; a client
 * credentials or JWT profile client adds it to its `scope` parameter. A JWT access token
 * has no `scope` claim at all, so the resource server learns its scopes by introspection.
 */
@Controller('me')
export class CallerController {
  @Get()
  @RequireScope(RESOURCE_OWNER_SCOPE)
  me(@Caller() caller: Principal): CallerView {
    const claim = (name: string): string | null => {
      const value = caller.claims[`${RESOURCE_OWNER_SCOPE}:${name}`];
      return typeof value === 'string' ? value : null;
    };
    return {
      subject: caller.subject,
      clientId: caller.clientId ?? null,
      organization: { id: caller.organizationId ?? null, name: claim('name'), primaryDomain: claim('primary_domain') },
      roles: caller.roles,
      scopes: caller.scopes,
      verifiedBy: caller.verifiedBy,
      tokenKind: caller.tokenKind,
      expiresAt: caller.expiresAt?.toISOString() ?? null,
    };
  }
}
