/**
 * JWT access tokens once, at core level (support/core-app.ts): RFC 6750 parsing, every
 * verification rule (algorithms, header parameters, claims, typ, ID tokens, keys), scopes,
 * roles and organizations, public routes, and no token in an answer or a log line. The app
 * kinds run the transport side in e2e/jwt.e2e.spec.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { coreApp } from '../support/core-app.js';
import type { CoreAnswer, CoreApp } from '../support/core-app.js';
import { LogCapture } from '../support/log-capture.js';
import { otherRsaKey, testKeys } from '../support/test-keys.js';

const BARE = 'Bearer realm="api"';
const invalidToken = (description: string) =>
  `Bearer realm="api", error="invalid_token", error_description="${description}"`;
const invalidRequest = (description: string) =>
  `Bearer realm="api", error="invalid_request", error_description="${description}"`;

/** An RSA key nobody trusts, for the cases that sign with one (generated once). */
/** A key that is not in the issuer's JWKS (one of the run's other RSA keys). */
const attackerKey = Promise.resolve(otherRsaKey(0));

describe('JWT access tokens at core level', () => {
  let issuer: TestIssuer;
  let app: CoreApp;
  let canaryHits = 0;
  let canaryUrl = '';
  const canary = createServer((_req, res) => {
    canaryHits += 1;
    res.end('{}');
  });
  const logs = new LogCapture();
  const tokens: string[] = [];
  const responses: { headers: CoreAnswer['headers']; text: string }[] = [];

  async function mint(...args: Parameters<TestIssuer['mintJwt']>): Promise<string> {
    const token = await issuer.mintJwt(...args);
    tokens.push(token);
    return token;
  }
  async function call(path: string, token?: string): Promise<CoreAnswer> {
    const response = await app.get(path, token);
    responses.push({ headers: response.headers, text: JSON.stringify(response.body) });
    return response;
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = coreApp({ issuer: issuer.issuer, audience: ['test-project'], projectId: 'test-project', logger: logs });
  });

  afterAll(async () => {
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
    const response = await app.send({ path: `/me`, headers: [['authorization', header(token)]] });
    expect(response.status).toBe(200);
  });

  it.each([
    ['no Authorization header', []],
    ['a Basic scheme', [['authorization', 'Basic dXNlcjpwYXNz']]],
  ] as [string, [string, string][]][])('answers 401 with a bare challenge for %s', async (_name, headers) => {
    const response = await app.send({ path: `/me`, headers });
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
    const response = await app.send({ path: `/me`, headers: [['authorization', header(token)]] });
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest(description));
  });

  it('answers 400 invalid_request for two Authorization headers', async () => {
    const token = await mint();
    const response = await app.send({ path: `/me`,
      headers: [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]],
    });
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest('Only one Authorization header is allowed'));
  });

  it('answers 400 invalid_request for a token in the query (carrier not enabled)', async () => {
    const token = await mint();
    const response = await app.send({ path: `/me?access_token=${token}` });
    expect(response.status).toBe(400);
    expect(response.headers['www-authenticate']).toBe(invalidRequest('Tokens in the query string are not accepted'));
  });

  const disallowedAlg = 'The token is signed with an algorithm that is not allowed';
  it.each([
    ['alg none', () => mint({}, { unsigned: 'none' }), disallowedAlg],
    ['alg None', () => mint({}, { unsigned: 'None' }), disallowedAlg],
    ['alg NONE', () => mint({}, { unsigned: 'NONE' }), disallowedAlg],
    ['HS256 signed with the public key', async () => {
      const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
      const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
      return mint({}, { alg: 'HS256', key: secret });
    }, disallowedAlg],
    ['an embedded jwk', async () => {
      const attacker = await attackerKey;
      return mint({}, { key: attacker.privateKey, header: { jwk: await exportJWK(attacker.publicKey) } });
    }, 'The token header must not carry jwk'],
    ['a jku header', async () => mint({}, { header: { jku: `${canaryUrl}/jwks` } }), 'The token header must not carry jku'],
    ['an x5u header', async () => mint({}, { header: { x5u: `${canaryUrl}/cert` } }), 'The token header must not carry x5u'],
    ['an x5c header', async () => mint({}, { header: { x5c: ['MIIB'] } }), 'The token header must not carry x5c'],
    ['an unknown crit', async () => mint({ exp2: 1 }, { header: { crit: ['exp2'], exp2: 1 } }), 'The token header lists critical extensions this server does not support'],
    ['no exp', async () => mint({}, { omit: ['exp'] }), 'The token has no exp claim'],
    ['an expired token', async () => mint({}, { expiresIn: -60 }), 'The token has expired'],
    ['an iat in the future', async () => mint({ iat: Math.floor(Date.now() / 1000) + 600 }), 'The token was issued in the future'],
    ['an nbf in the future', async () => mint({ nbf: Math.floor(Date.now() / 1000) + 600 }), 'The token is not valid yet'],
    ['typ id+jwt', async () => mint({}, { header: { typ: 'id+jwt' } }), 'The token is not an access token (unexpected typ)'],
    ['typ dpop+jwt', async () => mint({}, { header: { typ: 'dpop+jwt' } }), 'The token is not an access token (unexpected typ)'],
    ['an ID token (nonce)', async () => mint({ nonce: 'n-0S6_WzA2Mj' }), 'ID tokens are not accepted as access tokens'],
    ['an ID token (at_hash)', async () => mint({ at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }), 'ID tokens are not accepted as access tokens'],
    ['a JWE', async () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ', 'Encrypted tokens (JWE) are not accepted'],
    ['another issuer', async () => mint({ iss: 'https://evil.example' }), 'The token\'s iss claim is not accepted'],
    ['another audience', async () => mint({ aud: 'someone-else' }), 'The token\'s aud claim is not accepted'],
    ['a signature by a key not in the JWKS', async () => {
      const attacker = await attackerKey;
      return mint({}, { key: attacker.privateKey });
    }, 'The token signature is invalid'],
    ['a tampered payload', async () => {
      const [h, , s] = (await mint()).split('.');
      const payload = Buffer.from(JSON.stringify({ sub: 'admin', iss: issuer.issuer, aud: 'test-project', exp: 9999999999, jti: 'x' })).toString('base64url');
      return `${h}.${payload}.${s}`;
    }, 'The token signature is invalid'],
    ['no jti (ZITADEL preset)', async () => mint({}, { omit: ['jti'] }), 'The token has no jti claim'],
    ['an unknown kid', async () => {
      const attacker = await attackerKey;
      return mint({}, { key: attacker.privateKey, header: { kid: 'not-a-known-kid' } });
    }, 'The token was signed with an unknown key'],
    ['an opaque token while introspection is off', async () => issuer.mintOpaque(), 'Opaque tokens are not accepted here; send a JWT access token'],
    ['a three-segment token whose header is not JSON', async () => 'bm90LWpzb24.e30.c2ln', 'Opaque tokens are not accepted here; send a JWT access token'],
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

  it.each([
    ['typ at+jwt', { typ: 'at+jwt' }],
    ['typ application/at+jwt', { typ: 'application/at+JWT' }],
    ['no typ', { typ: undefined }],
  ])('accepts %s', async (_name, header) => {
    expect((await call('/me', await mint({}, { header }))).status).toBe(200);
  });

  it('answers 403 insufficient_scope naming the required scope', async () => {
    const response = await call('/orders', await mint({ scope: 'openid profile' }));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Missing scope: orders:read", scope="orders:read"',
    );
    expect((await call('/orders', await mint({ scope: 'openid orders:read' }))).status).toBe(200);
  });

  it('checks any-of scopes', async () => {
    expect((await call('/either', await mint({ scope: 'b' }))).status).toBe(200);
    const refused = await call('/either', await mint({ scope: 'c' }));
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('scope="a b"');
  });

  it('fails a scope requirement for a JWT without a scope claim when introspection is off', async () => {
    expect((await call('/orders', await mint())).status).toBe(403);
  });

  it('answers 403 for a missing role, naming it, and never reads roles from scope', async () => {
    const response = await call('/admin', await mint({ scope: 'urn:zitadel:iam:org:project:role:orders.admin', ...issuer.roleClaims(['orders.read']) }));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Missing role: one of orders.admin"',
    );
    expect((await call('/admin', await mint(issuer.roleClaims(['orders.admin'])))).status).toBe(200);
  });

  it('ignores the generic role claim when the project id is set (it may describe another project)', async () => {
    const token = await mint({ 'urn:zitadel:iam:org:project:roles': { 'orders.admin': { '100000000000000001': 'acme' } } });
    expect((await call('/admin', token)).status).toBe(403);
  });

  it('counts a role only in the organization that owns the resource', async () => {
    const token = await mint(issuer.roleClaims({ 'orders.write': ['org-a'] }));
    const allowed = await app.send({ path: `/orgs/org-a/orders`, method: 'POST', headers: [['authorization', `Bearer ${token}`], ['content-type', 'application/json']], body: '{}' });
    expect(allowed.status).toBe(201);
    const refused = await app.send({ path: `/orgs/org-b/orders`, method: 'POST', headers: [['authorization', `Bearer ${token}`], ['content-type', 'application/json']], body: '{}' });
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
    const malformed = await app.send({ path: `/public`, headers: [['authorization', 'Bearer a b']] });
    expect(malformed.status).toBe(200);
  });

  it('never puts a token into a response or a log line', () => {
    expect(tokens.length).toBeGreaterThan(20);
    const everything = [...responses.map((r) => `${JSON.stringify(r.headers)}\n${r.text}`), logs.text()].join('\n');
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      const signature = token.split('.')[2];
      if (signature && signature.length > 20) expect(everything).not.toContain(signature);
    }
  });
});
