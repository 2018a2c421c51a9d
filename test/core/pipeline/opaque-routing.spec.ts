/**
 * Where an opaque token goes, decided in the core with an injected fetch: never to an
 * issuer that is not its own, and never silently refused without telling the operator.
 */
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { AuthError } from '../../../lib/core/errors.js';

function refusal(promise: Promise<unknown>): Promise<AuthError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as AuthError,
  );
}

describe('opaque tokens without introspection', () => {
  it('are refused with 401 ERR_TOKEN_UNSUPPORTED and one operator line that says what to configure, without any upstream call', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const rs = createResourceServer({
      issuer: 'https://acme.zitadel.cloud',
      audience: '294800000000000001',
      logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      fetch: async () => {
        calls += 1;
        throw new Error('no network in this test');
      },
    });
    for (const token of ['opaque-token-1', 'opaque-token-2']) {
      const error = await refusal(rs.authenticate(`Bearer ${token}`));
      expect([error.code, error.status, error.message]).toEqual(['ERR_TOKEN_UNSUPPORTED', 401, 'Opaque tokens are not accepted here; send a JWT access token']);
    }
    expect(warnings).toEqual([
      'An opaque token (or a ZITADEL personal access token) was refused with 401 because "introspection" is not configured. ' +
        'ZITADEL issues opaque access tokens by default: configure "introspection" with the API application\'s credentials, or set the service user\'s access token type to JWT',
    ]);
    expect(calls).toBe(0);
  });
});

describe('an opaque token routed by the request (opaqueTokenIssuer), decided again later', () => {
  it('authorize() after authenticate(request) asks the same tenant\'s issuer, never the other one', async () => {
    const { createTestIssuer } = await import('../../../lib/testing/index.js');
    const tenantA = await createTestIssuer({ keys: 'shared', projectId: 'project-a', audience: 'project-a', introspectionClient: { clientId: 'api-a', clientSecret: 'a' } });
    const tenantB = await createTestIssuer({ keys: 'shared', projectId: 'project-b', audience: 'project-b', introspectionClient: { clientId: 'api-b', clientSecret: 'b' } });
    try {
      const rs = createResourceServer({
        issuers: [tenantA, tenantB].map((tenant) => ({
          issuer: tenant.issuer,
          audience: tenant.projectId,
          projectId: tenant.projectId,
          introspection: { auth: { type: 'client_secret_basic' as const, ...tenant.introspectionClient } },
        })),
        // Tenant A is the default: a request without the header goes there.
        opaqueTokenIssuer: ({ request }) => (request.headers['x-tenant'] === 'b' ? tenantB.issuer : tenantA.issuer),
        logger: { warn: () => undefined, error: () => undefined },
      });
      const token = tenantB.mintOpaque(tenantB.roleClaims(['orders.read']));
      const caller = await rs.authenticate({ headers: { authorization: `Bearer ${token}`, 'x-tenant': 'b' } });
      tenantA.resetCounts();
      await expect(rs.authorize(caller, { roles: [{ anyOf: ['orders.read'] }] })).resolves.toMatchObject({ subject: caller.subject, issuer: tenantB.issuer });
      expect(tenantA.requests.introspection).toBe(0);
    } finally {
      await Promise.all([tenantA.close(), tenantB.close()]);
    }
  });
});
