/**
 * Issue 15 item 8 over real HTTP on every app kind: claims of the wrong type or out of range
 * are refused, never coerced — a space-separated string is not a list of roles, and an
 * `exp` beyond what a Date can hold is not a lifetime. (Core level, with the introspection
 * variant: test/security/hardening-core.spec.ts.)
 */
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';

describe.each(APP_KINDS)('claims that would need coercion, over HTTP on %s', (kind) => {
  let issuer: TestIssuer;
  let zitadelApp: RunningApp;
  let genericApp: RunningApp;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: 'shared' });
    const base = { issuer: issuer.issuer, audience: 'test-project', logger: { warn: () => undefined, error: () => undefined }, audit: false as const };
    zitadelApp = await startApp(kind, { ...base, projectId: 'test-project' });
    genericApp = await startApp(kind, { ...base, claims: 'generic', rolesClaim: 'groups' });
  });
  afterAll(async () => {
    await zitadelApp?.close();
    await genericApp?.close();
    await issuer?.close();
  });

  it('exp = 1e300 is a 401 invalid_token, not an allow with an Invalid Date', async () => {
    const response = await get(`${zitadelApp.url}/me`, await issuer.mintJwt({ exp: 1e300 }));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The token\'s exp claim is not a usable date"');
    expect(response.body).toMatchObject({ statusCode: 401, error: 'invalid_token' });
  });

  it('groups: "Sales team orders.admin" (a string) grants no role: 403; the same role in a list grants it', async () => {
    const asString = await get(`${genericApp.url}/admin`, await issuer.mintJwt({ groups: 'Sales team orders.admin' }));
    expect(asString.status).toBe(403);
    expect(asString.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const asList = await get(`${genericApp.url}/admin`, await issuer.mintJwt({ groups: ['orders.admin'] }));
    expect(asList.status).toBe(200);
  });
});
