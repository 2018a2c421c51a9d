import type { Principal } from '../core/kernel/index.js';

/** What {@link createTestPrincipal} takes: any field of a principal, and roles as a list. */
export type TestPrincipalFields = Partial<Omit<Principal, 'roles'>> & {
  /** Role keys (granted in the principal's organization), or role → organization ids. */
  readonly roles?: readonly string[] | Readonly<Record<string, readonly string[]>>;
};

/**
 * A `Principal` for unit tests of controllers and services that take `@Caller()` or
 * `req.auth`, without any token: a ZITADEL service user's defaults, overridden field by field.
 * Never accepted by a resource server (it was verified by nobody).
 *
 * @example
 * const caller = createTestPrincipal({ roles: ['orders.read'], organizationId: '100000000000000001' });
 * expect(controller.list(caller)).toEqual([]);
 */
export function createTestPrincipal(fields: TestPrincipalFields = {}): Principal {
  const organizationId = 'organizationId' in fields ? fields.organizationId : '100000000000000001';
  const subject = fields.subject ?? '200000000000000001';
  const listed = fields.roles ?? [];
  const roles: Record<string, readonly string[]> = Array.isArray(listed)
    ? Object.fromEntries((listed as readonly string[]).map((role) => [role, organizationId === undefined ? [] : [organizationId]]))
    : { ...(listed as Readonly<Record<string, readonly string[]>>) };
  const expiresAt = 'expiresAt' in fields ? fields.expiresAt : new Date(Date.now() + 5 * 60 * 1000);
  const issuer = fields.issuer ?? 'https://test.zitadel.invalid';
  const audience = fields.audience ?? ['test-project'];
  const tokenId = fields.tokenId ?? 'V2_200000000000000010-at_200000000000000011';
  const clientId = 'clientId' in fields ? fields.clientId : 'test-service-user';
  return Object.freeze({
    subject,
    clientId,
    organizationId,
    scopes: Object.freeze([...(fields.scopes ?? [])]),
    roles: Object.freeze(roles),
    tokenId,
    verifiedBy: fields.verifiedBy ?? 'jwks',
    tokenKind: fields.tokenKind ?? 'jwt',
    issuer,
    audience: Object.freeze([...audience]),
    expiresAt,
    claims: Object.freeze(
      fields.claims ?? {
        iss: issuer,
        sub: subject,
        aud: [...audience],
        jti: tokenId,
        ...(clientId === undefined ? {} : { client_id: clientId }),
        ...(expiresAt === undefined ? {} : { exp: Math.floor(expiresAt.getTime() / 1000) }),
      },
    ),
  });
}
