/**
 * The transport side of opaque tokens on every app kind: the principal an introspection
 * answer yields as each framework hands it to the route, the 401/403 answers and the 503 of
 * an outage as each framework writes them, and no token in any response or log line. The
 * behaviour itself (caching, single flight, revocation, every outage mode, garbage,
 * misconfiguration, scope enrichment) is tested once at core level:
 * test/core/introspection/introspection-caching.spec.ts.
 */
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, isExpress, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { LogCapture } from '../support/log-capture.js';
import { get } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const API_CLIENT = { clientId: 'orders-api@acme', clientSecret: 'se+cr/et%' };
const ORG = '100000000000000001';

describe.each(APP_KINDS)('opaque tokens and introspection on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys(), introspectionClient: API_CLIENT });
    app = await startApp(
      kind,
      {
        issuer: issuer.issuer,
        audience: ['test-project'],
        projectId: 'test-project',
        timeout: 800,
        logger: logs,
        introspection: { auth: { type: 'client_secret_basic', ...API_CLIENT } },
      },
      logs,
    );
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });

  const seenTokens: string[] = [];
  const seenOutput: string[] = [];
  async function call(path: string, token?: string) {
    const response = await get(`${app.url}${path}`, token);
    if (token) seenTokens.push(token);
    seenOutput.push(JSON.stringify(response.headers), response.text);
    return response;
  }

  afterAll(() => {
    // No token in any response or log line (Nest's logger and ours both write to `logs`).
    const output = [...seenOutput, logs.text()].join('\n');
    expect(seenTokens.length).toBeGreaterThan(0);
    for (const token of seenTokens) expect(output).not.toContain(token);
  });

  it('hands the route the principal built from the introspection answer', async () => {
    const token = issuer.mintOpaque({ scope: 'openid orders:read', ...issuer.roleClaims({ 'orders.read': [ORG] }) });
    const response = await call('/me', token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      subject: '200000000000000001',
      clientId: expect.any(String),
      organizationId: ORG,
      scopes: ['openid', 'orders:read'],
      roles: { 'orders.read': [ORG] },
      verifiedBy: 'introspection',
      tokenKind: 'opaque',
    });
    expect((await call('/orders', token)).status).toBe(200);
  });

  it('answers an inactive token with 401 and the exact challenge, a missing role with 403', async () => {
    const inactive = await call('/me', issuer.mintOpaque({}, { active: false }));
    expect(inactive.status).toBe(401);
    expect(inactive.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The token is not active"');
    expect(inactive.body).toMatchObject({ error: 'invalid_token', error_description: 'The token is not active', ...(isExpress(kind) ? {} : { statusCode: 401 }) });
    const admin = await call('/admin', issuer.mintOpaque(issuer.roleClaims(['orders.read'])));
    expect(admin.status).toBe(403);
    expect(admin.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="Missing role: one of orders.admin"');
  });

  it('answers 503 with Retry-After and no challenge when introspection is down', async () => {
    await issuer.goDown('refuse');
    try {
      const response = await call('/me', issuer.mintOpaque());
      expect(response.status).toBe(503);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.body).toMatchObject({ error: 'temporarily_unavailable', ...(isExpress(kind) ? {} : { statusCode: 503 }) });
    } finally {
      await issuer.comeBack();
    }
  });
});
