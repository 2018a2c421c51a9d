import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import type { Principal, ResourceServer } from 'zitadel-resource-server';
import { Caller, RESOURCE_SERVER, RequireActiveToken, RequireRole } from 'zitadel-resource-server/nest';

/** What an admin may revoke: one token by its `jti`, or every token of a subject issued until now. */
interface RevocationRequest {
  readonly jti?: unknown;
  readonly subject?: unknown;
}

/**
 * Revokes tokens in this API at once, before they expire (the revocation list is checked on
 * every request, cache hits included). With several instances, configure the Redis list
 * (`zitadel-resource-server/redis`) so every instance sees it. Behind `orders.admin`, with
 * an active token.
 */
@Controller('admin/revocations')
@RequireActiveToken()
@RequireRole('orders.admin')
export class RevocationsController {
  constructor(@Inject(RESOURCE_SERVER) private readonly resourceServer: ResourceServer) {}

  @Post()
  @HttpCode(204)
  async revoke(@Body() body: RevocationRequest, @Caller() caller: Principal): Promise<void> {
    if (typeof body?.jti === 'string' && body.jti !== '') {
      await this.resourceServer.revoke({ jti: body.jti });
    } else if (typeof body?.subject === 'string' && body.subject !== '') {
      await this.resourceServer.revoke({ subject: body.subject, issuedBefore: new Date() });
    } else {
      throw new BadRequestException('send { "jti": "…" } or { "subject": "…" }');
    }
    void caller; // the audit event of this call already records who revoked
  }
}
