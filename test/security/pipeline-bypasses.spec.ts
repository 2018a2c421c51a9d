/**
 * Regressions of the decision pipeline (issue 12), end to end over HTTP on every app kind:
 * a sender-constrained token must never pass as a bearer token — not on the first request,
 * not on a cached verdict, not through `authenticate()` — and a binding this package cannot
 * check (RFC 8705 certificate binding) is refused outright.
 */
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import type { AuthError } from '../../lib/core/errors.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const BOUND_AS_BEARER = 'Bearer realm="api", error="invalid_token", error_description="A DPoP-bound token must be sent with the DPoP scheme and a proof"';

describe.each(APP_KINDS)('sender-constrained tokens sent as Bearer on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  let options: ResourceServerOptions;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    options = {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      logger: { warn: () => undefined, error: () => undefined },
      audit: false,
    };
    app = await startApp(kind, options);
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it.each([1, 2, 3])('refuses a DPoP-bound JWT (cnf.jkt) on request %i, with dpop off', async () => {
    // One token for all three requests: the second and third hit the verified-token cache.
    const token = (bound ??= await issuer.mintJwt({ cnf: { jkt: JKT }, ...issuer.roleClaims(['orders.admin']) }));
    for (const path of ['/me', '/admin', '/public']) {
      const response = await get(`${app.url}${path}`, token);
      if (path === '/public') {
        // Optional auth ignores a refused token: no caller.
        expect([response.status, (response.body as { subject: unknown }).subject]).toEqual([200, null]);
        continue;
      }
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(BOUND_AS_BEARER);
    }
  });
  let bound: string | undefined;

  it.each([1, 2, 3])('refuses an opaque token whose introspection answer is DPoP-bound, on request %i', async () => {
    const token = (boundOpaque ??= issuer.mintOpaque({ cnf: { jkt: JKT } }));
    const response = await get(`${app.url}/me`, token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(BOUND_AS_BEARER);
  });
  let boundOpaque: string | undefined;

  it.each([1, 2])('refuses a certificate-bound JWT (cnf x5t#S256, RFC 8705) on request %i', async () => {
    const token = (certificateBound ??= await issuer.mintJwt({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }));
    const response = await get(`${app.url}/me`, token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token is bound to a client certificate (cnf x5t#S256, RFC 8705), which this API cannot check"',
    );
  });
  let certificateBound: string | undefined;

  it('refuses a token with any other confirmation member (cnf.jwk) and a malformed cnf', async () => {
    const withJwk = await issuer.mintJwt({ cnf: { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'abc' } } });
    expect((await get(`${app.url}/me`, withJwk)).headers['www-authenticate']).toContain('error_description="The token is bound to cnf jwk, which this API cannot check"');
    const malformed = await issuer.mintJwt({ cnf: 'jkt' });
    expect((await get(`${app.url}/me`, malformed)).headers['www-authenticate']).toContain('error_description="The token has a malformed cnf claim"');
  });

  it('still accepts an unbound token and one with an empty cnf', async () => {
    expect((await get(`${app.url}/me`, await issuer.mintJwt())).status).toBe(200);
    expect((await get(`${app.url}/me`, await issuer.mintJwt({ cnf: {} }))).status).toBe(200);
  });

  it('refuses the same bound tokens through authenticate(), every time', async () => {
    const rs = createResourceServer(options);
    const jwt = await issuer.mintJwt({ cnf: { jkt: JKT } });
    const opaque = issuer.mintOpaque({ cnf: { jkt: JKT } });
    for (const token of [jwt, jwt, opaque, opaque]) {
      const error = (await rs.authenticate(`Bearer ${token}`).catch((e: unknown) => e)) as AuthError;
      expect([error.code, error.status]).toEqual(['ERR_DPOP_BINDING_INVALID', 401]);
    }
  });
});
