/**
 * The transport side of JWT access tokens on every app kind: the caller as each framework
 * hands it to the route, RFC 6750 answers as each writes them (headers folded by Node, two
 * Authorization headers, the query carrier), a representative of each refusal, scopes,
 * roles per organization from route parameters, class- and method-level requirements,
 * public routes, and no token in a response or a log line. Every verification rule runs
 * once at core level: test/core/jwt-verification.spec.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { LogCapture } from '../support/log-capture.js';
import { get, send } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const BARE = 'Bearer realm="api"';
const invalidToken = (description: string) =>
  `Bearer realm="api", error="invalid_token", error_description="${description}"`;
const invalidRequest = (description: string) =>
  `Bearer realm="api", error="invalid_request", error_description="${description}"`;

describe.each(APP_KINDS)('JWT access tokens on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  let canaryHits = 0;
  let canaryUrl = '';
  const canary = createServer((_req, res) => {
    canaryHits += 1;
    res.end('{}');
  });
  const logs = new LogCapture();
  const tokens: string[] = [];
  const responses: Sent[] = [];

  async function mint(...args: Parameters<TestIssuer['mintJwt']>): Promise<string> {
    const token = await issuer.mintJwt(...args);
    tokens.push(token);
    return token;
  }
  async function call(path: string, token?: string): Promise<Sent> {
    const response = await get(`${app.url}${path}`, token);
    responses.push(response);
    return response;
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = await startApp(kind, { issuer: issuer.issuer, audience: ['test-project'], projectId: 'test-project', logger: logs }, logs);
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
    await new Promise((resolve) => canary.close(resolve));
  });

  it('accepts a valid ZITADEL JWT and exposes the caller', async () => {
    const token = await mint(issuer.roleClaims({ 'orders.read': ['100000000000000001'] }));
    const response = await call('/me', token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      subject: '200000000000000001',
      clientId: 'service-user-client',
      organizationId: '100000000000000001',
      scopes: [],
      roles: { 'orders.read': ['100000000000000001'] },
      verifiedBy: 'jwks',
      tokenKind: 'jwt',
    });
  });

  it.each([
    ['lowercase scheme', (t: string) => `bearer ${t}`],
    ['upper-case scheme', (t: string) => `BEARER ${t}`],
    ['two spaces', (t: string) => `Bearer  ${t}`],
  ])('accepts a %s', async (_name, header) => {
    const token = await mint();
    const response = await send(`${app.url}/me`, { headers: [['authorization', header(token)]] });
    expect(response.status).toBe(200);
  });

  it.each([
    ['no Authorization header', []],
    ['a Basic scheme', [['authorization', 'Basic dXNlcjpwYXNz']]],
  ] as [string, [string, string][]][])('answers 401 with a bare challenge for %s', async (_name, headers) => {
    const response = await send(`${app.url}/me`, { headers });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(BARE);
  });

  it.each([
    ['Bearer with no token', () => 'Bearer', 'The Bearer credentials carry no token'],
    ['Bearer with a trailing space only', () => 'Bearer ', 'The Bearer credentials carry no token'],
    ['two tokens separated by a space', (t: string) => `Bearer ${t} ${t}`, 'Malformed Bearer credentials'],
    ['comma-joined tokens', (t: string) => `Bearer ${t}, Bearer ${t}`, 'Malformed Bearer credentials'],
  ])('answers 400 invalid_request for %s', async (_name, header, description) => {
    const token = await mint();
    const response = await send(`${app.url}/me`, { headers: [['authorization', header(token)]] });
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest(description));
  });

  it('answers 400 invalid_request for two Authorization headers', async () => {
    const token = await mint();
    const response = await send(`${app.url}/me`, {
      headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]],
    });
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest('Only one Authorization header is allowed'));
  });

  it('answers 400 invalid_request for a token in the query (carrier not enabled)', async () => {
    const token = await mint();
    const response = await send(`${app.url}/me?access_token=${token}`);
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest('Tokens in the query string are not accepted'));
  });

  const disallowedAlg = 'The token is signed with an algorithm that is not allowed';
  // A representative of each refusal as the framework writes it; every verification rule is
  // tested at core level (test/core/jwt-verification.spec.ts).
  it.each([
    ['alg none', () => mint({}, { unsigned: 'none' }), disallowedAlg],
    ['a jku header', async () => mint({}, { header: { jku: `${canaryUrl}/jwks` } }), 'The token header must not carry jku'],
    ['an expired token', async () => mint({}, { expiresIn: -60 }), 'The token has expired'],
    ['an opaque token while introspection is off', async () => issuer.mintOpaque(), 'Opaque tokens are not accepted here; send a JWT access token'],
  ])('answers 401 invalid_token for %s', async (_name, makeToken, description) => {
    const token = await makeToken();
    tokens.push(token);
    const response = await call('/me', token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(invalidToken(description));
    expect(response.body).toEqual({ statusCode: 401, error: 'invalid_token', error_description: description });
  });

  it('never fetched a jku or x5u URL', () => {
    expect(canaryHits).toBe(0);
  });

  it('answers 403 insufficient_scope naming the required scope', async () => {
    const response = await call('/orders', await mint({ scope: 'openid profile' }));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Missing scope: orders:read", scope="orders:read"',
    );
    expect((await call('/orders', await mint({ scope: 'openid orders:read' }))).status).toBe(200);
  });

  it('answers 403 for a missing role, naming it, and never reads roles from scope', async () => {
    const response = await call('/admin', await mint({ scope: 'urn:zitadel:iam:org:project:role:orders.admin', ...issuer.roleClaims(['orders.read']) }));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Missing role: one of orders.admin"',
    );
    expect((await call('/admin', await mint(issuer.roleClaims(['orders.admin'])))).status).toBe(200);
  });

  it('counts a role only in the organization that owns the resource', async () => {
    const token = await mint(issuer.roleClaims({ 'orders.write': ['org-a'] }));
    const allowed = await send(`${app.url}/orgs/org-a/orders`, { method: 'POST', headers: [['authorization', `Bearer ${token}`], ['content-type', 'application/json']], body: '{}' });
    expect(allowed.status).toBe(201);
    const refused = await send(`${app.url}/orgs/org-b/orders`, { method: 'POST', headers: [['authorization', `Bearer ${token}`], ['content-type', 'application/json']], body: '{}' });
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('Missing role: one of orders.write in organization org-b');
  });

  it("counts a role in the caller's own organization with org: 'own'", async () => {
    expect((await call('/mine', await mint(issuer.roleClaims({ 'orders.read': ['100000000000000001'] })))).status).toBe(200);
    expect((await call('/mine', await mint(issuer.roleClaims({ 'orders.read': ['100000000000000002'] })))).status).toBe(403);
  });

  it('applies controller and method requirements together', async () => {
    expect((await call('/reports', await mint({ scope: 'reports:read' }))).status).toBe(200);
    expect((await call('/reports/export', await mint({ scope: 'reports:read' }))).status).toBe(403);
    expect((await call('/reports/export', await mint(issuer.roleClaims(['reports.export'])))).status).toBe(403);
    expect((await call('/reports/export', await mint({ scope: 'reports:read', ...issuer.roleClaims(['reports.export']) }))).status).toBe(200);
  });

  it('serves public routes with or without a token, with a principal only for a valid one', async () => {
    expect((await call('/public')).body).toEqual({ subject: null });
    const valid = await call('/public', await mint());
    expect(valid.status).toBe(200);
    expect((valid.body as { subject: string }).subject).toBe('200000000000000001');
    const invalid = await call('/public', await mint({}, { expiresIn: -60 }));
    expect(invalid.status).toBe(200);
    expect(invalid.body).toEqual({ subject: null });
    const malformed = await send(`${app.url}/public`, { headers: [['authorization', 'Bearer a b']] });
    expect(malformed.status).toBe(200);
  });

  it('never puts a token into a response or a log line', () => {
    expect(tokens.length).toBeGreaterThan(15);
    const everything = [...responses.map((r) => `${JSON.stringify(r.headers)}\n${r.text}`), logs.text()].join('\n');
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      const signature = token.split('.')[2];
      if (signature && signature.length > 20) expect(everything).not.toContain(signature);
    }
  });
});
