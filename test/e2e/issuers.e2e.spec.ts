import { randomBytes } from 'node:crypto';
import { createTestIssuer, importTestKeys } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { resolveOptions } from '../../lib/core/options.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get, send } from '../support/send.js';
import { otherRsaKey, testKeys } from '../support/test-keys.js';

/** The stranger's own key, once for every app kind. */
const strangerKeys = importTestKeys(otherRsaKey(0).privateKey);

describe.each(APP_KINDS)('several trusted issuers on %s', (kind) => {
  let tenantA: TestIssuer;
  let tenantB: TestIssuer;
  let stranger: TestIssuer;
  let app: RunningApp;
  let selected: RunningApp;
  const issuers = () => [
    { issuer: tenantA.issuer, audience: 'project-a', projectId: 'project-a', introspection: { auth: { type: 'client_secret_basic' as const, clientId: 'api-a', clientSecret: 'a' } } },
    { issuer: tenantB.issuer, audience: 'project-b', projectId: 'project-b', introspection: { auth: { type: 'client_secret_basic' as const, clientId: 'api-b', clientSecret: 'b' } } },
  ];

  beforeAll(async () => {
    tenantA = await createTestIssuer({ keys: await testKeys(), projectId: 'project-a', audience: 'project-a', introspectionClient: { clientId: 'api-a', clientSecret: 'a' } });
    tenantB = await createTestIssuer({ keys: await testKeys(), projectId: 'project-b', audience: 'project-b', introspectionClient: { clientId: 'api-b', clientSecret: 'b' } });
    // Its own key: a token it signs naming tenant A's issuer must fail the signature check.
    stranger = await createTestIssuer({ keys: await strangerKeys, projectId: 'project-a', audience: 'project-a' });
    app = await startApp(kind, {
      timeout: 500,
      logger: { warn: () => undefined, error: () => undefined },
      issuers: issuers(),
      opaqueTokenIssuer: 'each',
    });
    selected = await startApp(kind, {
      timeout: 500,
      logger: { warn: () => undefined, error: () => undefined },
      issuers: issuers(),
      opaqueTokenIssuer: ({ request }) => ({ a: tenantA.issuer, b: tenantB.issuer })[String(request.headers['x-tenant'])],
    });
  });
  afterAll(async () => {
    await Promise.all([app.close(), selected.close()]);
    await Promise.all([tenantA.close(), tenantB.close(), stranger.close()]);
  });
  const reset = () => [tenantA, tenantB, stranger].forEach((i) => i.resetCounts());
  const calls = () => [tenantA, tenantB, stranger].reduce((n, i) => n + i.requests.discovery + i.requests.jwks + i.requests.introspection, 0);

  it('accepts JWTs of both listed issuers on one route, each with its own roles claim', async () => {
    const a = await get(`${app.url}/admin`, await tenantA.mintJwt(tenantA.roleClaims(['orders.admin'])));
    const b = await get(`${app.url}/admin`, await tenantB.mintJwt(tenantB.roleClaims(['orders.admin'])));
    expect([a.status, b.status]).toEqual([200, 200]);
  });

  it('refuses a JWT from an unlisted issuer without any network call', async () => {
    reset();
    const token = await stranger.mintJwt(stranger.roleClaims(['orders.admin']));
    const response = await get(`${app.url}/me`, token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain("The token's iss claim is not accepted");
    expect(calls()).toBe(0);
  });

  it('refuses a JWT that names a listed issuer but is signed by another key', async () => {
    const forged = await stranger.mintJwt({ iss: tenantA.issuer });
    expect((await get(`${app.url}/me`, forged)).status).toBe(401);
  });

  it('sends an opaque token only to the issuer the opaqueTokenIssuer selector names', async () => {
    reset();
    const opaqueB = tenantB.mintOpaque(tenantB.roleClaims(['orders.admin']));
    const asB = await send(`${selected.url}/admin`, { headers: [['authorization', `Bearer ${opaqueB}`], ['x-tenant', 'b']] });
    expect(asB.status).toBe(200);
    expect([tenantA.requests.introspection, tenantB.requests.introspection]).toEqual([0, 1]);
    // Tenant B's token presented as tenant A's: it goes to A only, which does not know it.
    const asA = await send(`${selected.url}/admin`, { headers: [['authorization', `Bearer ${opaqueB}`], ['x-tenant', 'a']] });
    expect(asA.status).toBe(401);
    expect([tenantA.requests.introspection, tenantB.requests.introspection]).toEqual([1, 1]);
    // No tenant: refused without any upstream call.
    reset();
    const unknown = await send(`${selected.url}/me`, { headers: [['authorization', `Bearer ${tenantB.mintOpaque()}`]] });
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toContain('The issuer of this opaque token is not accepted here');
    expect(calls()).toBe(0);
  });

  it("with opaqueTokenIssuer: 'each', asks the issuers in order for opaque tokens, and the second answers for its own", async () => {
    reset();
    const opaqueB = tenantB.mintOpaque(tenantB.roleClaims(['orders.admin']));
    const response = await get(`${app.url}/admin`, opaqueB);
    expect(response.status).toBe(200);
    expect(tenantA.requests.introspection).toBe(1);
    expect(tenantB.requests.introspection).toBe(1);
    expect((await get(`${app.url}/me`, randomBytes(53).toString('base64url'))).status).toBe(401);
  });

  it('still accepts the second issuer\'s opaque token while the first is down, and answers 503 when no issuer can say', async () => {
    await tenantA.goDown('refuse');
    try {
      expect((await get(`${app.url}/me`, tenantB.mintOpaque())).status).toBe(200);
      expect((await get(`${app.url}/me`, randomBytes(53).toString('base64url'))).status).toBe(503);
    } finally {
      await tenantA.comeBack();
    }
  });
});

describe('issuers option', () => {
  it('refuses to mix issuers with top-level issuer settings, and duplicates', () => {
    expect(() => resolveOptions({ issuer: 'https://a.example', audience: 'x', issuers: [{ issuer: 'https://b.example', audience: 'y' }] })).toThrow(
      '"issuer" option cannot be combined with "issuers"',
    );
    expect(() => resolveOptions({ issuers: [{ issuer: 'https://b.example', audience: 'y' }, { issuer: 'https://b.example', audience: 'z' }] })).toThrow('twice');
    expect(() => resolveOptions({ issuers: [{ issuer: 'http://b.example', audience: 'y' }] })).toThrow('"issuers[0].issuer" option must be an https: URL');
  });

  it('requires opaqueTokenIssuer when several issuers introspect, and only then', () => {
    const introspection = { auth: { type: 'client_secret_basic' as const, clientId: 'c', clientSecret: 's' } };
    const two = [
      { issuer: 'https://a.example', audience: 'x', introspection },
      { issuer: 'https://b.example', audience: 'y', introspection },
    ];
    expect(() => resolveOptions({ issuers: two })).toThrow(
      '"opaqueTokenIssuer" option is required when several issuers have "introspection": opaque tokens carry no issuer. ' +
        'Set a function ({ request, token }) => issuer URL (e.g. by a tenant header), or "each" to ask every issuer in turn (each then sees every opaque token)',
    );
    expect(resolveOptions({ issuers: two, opaqueTokenIssuer: 'each' }).opaqueTokenIssuer).toBe('each');
    expect(() => resolveOptions({ issuers: two, opaqueTokenIssuer: 'first' as never })).toThrow('"opaqueTokenIssuer" option must be a function ({ request, token }) => issuer URL, or "each"');
    expect(() => resolveOptions({ issuer: 'https://a.example', audience: 'x', introspection, opaqueTokenIssuer: 'each' })).toThrow(
      '"opaqueTokenIssuer" option is only for several issuers with "introspection" (set in "issuers")',
    );
  });
});
