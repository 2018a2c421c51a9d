/**
 * Introspection once, at core level (support/core-app.ts) against the test issuer on
 * 127.0.0.1: principals from answers, client authentication, caching (TTL, inactive
 * answers), single flight, revocation, outages and garbage, misconfiguration, scope
 * enrichment. The app kinds run the transport side in e2e/introspection.e2e.spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { coreApp } from '../../support/core-app.js';
import type { CoreApp } from '../../support/core-app.js';
import { LogCapture } from '../../support/log-capture.js';
import { otherRsaKey, testKeys } from '../../support/test-keys.js';

const TIMEOUT_MS = 800;
/** For the hanging endpoint only (it costs this much); 150 ms was seen to be too little for a busy machine. */
const HANG_TIMEOUT_MS = 400;
const API_CLIENT = { clientId: 'orders-api@acme', clientSecret: 'se+cr/et%' };
const ORG = '100000000000000001';

describe('opaque tokens and introspection at core level', () => {
  let issuer: TestIssuer;
  let app: CoreApp;
  let offset = 0;
  const now = () => Date.now() + offset;
  let logs: LogCapture;
  const keys = otherRsaKey(0);
  const keyFile = {
    type: 'application' as const,
    keyId: '310000000000000001',
    key: keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    appId: '310000000000000002',
    clientId: 'orders-api-jwt@acme',
  };

  async function start(overrides: Partial<ResourceServerOptions> = {}) {
    app = coreApp(
      {
        issuer: issuer.issuer,
        audience: ['test-project'],
        projectId: 'test-project',
        timeout: TIMEOUT_MS,
        now,
        logger: logs,
        introspection: { auth: { type: 'client_secret_basic', ...API_CLIENT } },
        ...overrides,
      },
    );
  }

  beforeEach(async () => {
    offset = 0;
    logs = new LogCapture();
    issuer = await createTestIssuer({
      now,
      keys: await testKeys(),
      introspectionClient: API_CLIENT,
      introspectionClientKey: { clientId: keyFile.clientId, keyId: keyFile.keyId, publicKey: keys.publicKey },
    });
  });

  afterEach(async () => {
    await issuer.close();
  });

  const seenTokens: string[] = [];
  const seenOutput: string[] = [];
  async function call(path: string, token?: string) {
    const started = performance.now();
    const answer = await app.get(path, token);
    if (token) seenTokens.push(token);
    seenOutput.push(JSON.stringify(answer.headers), JSON.stringify(answer.body));
    return { ...answer, ms: performance.now() - started };
  }

  afterEach(() => {
    // No token in any response or log line (Nest's logger and ours both write to `logs`).
    const output = [...seenOutput, logs.text()].join('\n');
    for (const token of seenTokens) expect(output).not.toContain(token);
    seenTokens.length = 0;
    seenOutput.length = 0;
  });

  it('accepts an active opaque token and builds the principal from the introspection answer', async () => {
    await start();
    const token = issuer.mintOpaque({ scope: 'openid orders:read', ...issuer.roleClaims({ 'orders.read': [ORG] }) });
    const response = await call('/me', token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      subject: '200000000000000001',
      organizationId: ORG,
      scopes: ['openid', 'orders:read'],
      roles: { 'orders.read': [ORG] },
      verifiedBy: 'introspection',
      tokenKind: 'opaque',
    });
    expect((await call('/orders', token)).status).toBe(200);
  });

  it('authenticates to introspection with private_key_jwt from an API application key file', async () => {
    await start({ introspection: { auth: { type: 'private_key_jwt', keyFile } } });
    const token = issuer.mintOpaque(issuer.roleClaims(['orders.read']));
    expect((await call('/me', token)).status).toBe(200);
    expect(issuer.requests.introspection).toBe(1);
  });

  it('never derives roles from a PAT scope listing every project role', async () => {
    await start();
    const pat = issuer.mintOpaque(
      {
        scope: 'openid urn:zitadel:iam:org:project:role:orders.read urn:zitadel:iam:org:project:role:orders.admin',
        ...issuer.roleClaims(['orders.read']),
      },
      { expiresIn: 30 * 24 * 3600 },
    );
    expect((await call('/mine', pat)).status).toBe(200);
    const admin = await call('/admin', pat);
    expect(admin.status).toBe(403);
    expect(admin.headers['www-authenticate']).toContain('Missing role: one of orders.admin');
  });

  it('refuses inactive, expired, foreign-issuer and foreign-audience answers with 401', async () => {
    await start();
    const cases: [string, string][] = [
      [issuer.mintOpaque({}, { active: false }), 'The token is not active'],
      [randomBytes(53).toString('base64url'), 'The token is not active'], // ZITADEL-shaped, unknown
      [issuer.mintOpaque({ exp: Math.floor(now() / 1000) - 10 }), 'The token is not active'],
      [issuer.mintOpaque({ iss: 'https://evil.example' }), 'The token was issued by another issuer'],
      // ZITADEL itself answers {"active": false} here (validateIntrospectionAudience); ask the
      // issuer for a generic issuer's answer to test our own audience check.
      [issuer.mintOpaque({ aud: ['another-project'] }, { introspectionAudienceCheck: false }), 'The token is meant for another audience'],
    ];
    for (const [token, description] of cases) {
      const response = await call('/me', token);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(`Bearer realm="api", error="invalid_token", error_description="${description}"`);
    }
  });

  it('honours a revocation once the cache entry expires, and at once on an active-token route', async () => {
    await start();
    const token = issuer.mintOpaque(issuer.roleClaims(['orders.read']));
    expect((await call('/me', token)).status).toBe(200);
    issuer.revoke(token);
    offset += 1001;
    expect((await call('/me', token)).status).toBe(200); // cached (at most 30 s)
    expect((await call('/active', token)).status).toBe(401); // answers at most 1 s old
    offset += 30_001;
    expect((await call('/me', token)).status).toBe(401);
  });

  it('refuses a revoked JWT at once on an active-token route', async () => {
    await start();
    const jwt = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
    expect((await call('/active', jwt)).status).toBe(200);
    issuer.revoke(jwt);
    expect((await call('/me', jwt)).status).toBe(200); // JWTs are verified locally
    offset += 1001;
    const response = await call('/active', jwt);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('The token is not active');
  });

  it('shares one upstream call among 100 concurrent requests with one new token', async () => {
    await start();
    const token = issuer.mintOpaque();
    issuer.resetCounts();
    const answers = await Promise.all(Array.from({ length: 100 }, () => call('/me', token)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(issuer.requests.introspection).toBe(1);
  });

  it('caches an inactive answer for 5 s', async () => {
    await start();
    issuer.resetCounts();
    // A ZITADEL-shaped token nobody issued (a malformed one is refused without any call).
    const nope = randomBytes(53).toString('base64url');
    await call('/me', nope);
    await call('/me', nope);
    expect(issuer.requests.introspection).toBe(1);
    offset += 5001;
    await call('/me', nope);
    expect(issuer.requests.introspection).toBe(2);
  });

  it.each(['refuse', 'error', 'hang', 'garbage'] as const)('answers 503 with Retry-After when introspection is down (%s)', async (mode) => {
    const timeout = mode === 'hang' ? HANG_TIMEOUT_MS : TIMEOUT_MS;
    await start({ timeout });
    const token = issuer.mintOpaque();
    await issuer.goDown(mode);
    const response = await call('/me', token);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.ms).toBeLessThan(timeout + 1000);
  });

  it('answers 503 for a non-boolean "active"', async () => {
    await start();
    expect((await call('/me', issuer.mintOpaque({ active: 'true' }))).status).toBe(503);
  });

  it('answers 503 and logs a misconfiguration once when our own client credentials are refused', async () => {
    await start({ introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT.clientId, clientSecret: 'wrong' } } });
    for (let i = 0; i < 3; i += 1) {
      const response = await call('/me', issuer.mintOpaque());
      expect(response.status).toBe(503);
    }
    const misconfigured = logs.lines.filter((line) => line.includes('Introspection is misconfigured'));
    expect(misconfigured).toHaveLength(1);
    expect(misconfigured[0]).not.toContain('wrong');
  });

  describe('scope enrichment of JWTs without a scope claim', () => {
    it('learns the scopes by introspection when a route needs them', async () => {
      await start();
      const jwt = await issuer.mintJwt({}, { introspectionScope: 'openid orders:read' });
      issuer.resetCounts();
      expect((await call('/orders', jwt)).status).toBe(200);
      expect((await call('/orders', jwt)).status).toBe(200);
      expect(issuer.requests.introspection).toBe(1);
      const narrower = await issuer.mintJwt({}, { introspectionScope: 'openid' });
      expect((await call('/orders', narrower)).status).toBe(403);
    });

    it('never enriches a JWT that has a scope claim, and never introspects for routes without scopes', async () => {
      await start();
      issuer.resetCounts();
      expect((await call('/orders', await issuer.mintJwt({ scope: 'openid' }, { introspectionScope: 'orders:read' }))).status).toBe(403);
      expect((await call('/me', await issuer.mintJwt())).status).toBe(200);
      expect(issuer.requests.introspection).toBe(0);
    });

    it('answers 401 when introspection says the JWT is inactive, 503 when it is down', async () => {
      await start();
      const revoked = await issuer.mintJwt({}, { introspectionScope: 'orders:read' });
      issuer.revoke(revoked);
      expect((await call('/orders', revoked)).status).toBe(401);
      const fine = await issuer.mintJwt({}, { introspectionScope: 'orders:read' });
      expect((await call('/me', fine)).status).toBe(200);
      await issuer.goDown('refuse');
      expect((await call('/orders', fine)).status).toBe(503);
    });
  });
});
