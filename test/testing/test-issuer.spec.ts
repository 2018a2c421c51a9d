import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { otherRsaKey, testKeys } from '../support/test-keys.js';

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

async function introspect(
  issuer: TestIssuer,
  token: string,
  authorization: string | null = basic(issuer.introspectionClient.clientId, issuer.introspectionClient.clientSecret),
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization !== null) headers['authorization'] = authorization;
  const response = await fetch(issuer.introspectionEndpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code;
}

describe('createTestIssuer', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      introspectionClient: { clientId: 'api-client@test-project', clientSecret: 's3cr+t/%x' },
    });
  });

  afterAll(async () => {
    await issuer.close();
  });

  afterEach(async () => {
    issuer.setLatency(0);
    await issuer.comeBack();
  });

  describe('discovery and JWKS', () => {
    it('serves a ZITADEL-shaped discovery document', async () => {
      expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(issuer.discoveryUri).toBe(`${issuer.issuer}/.well-known/openid-configuration`);
      const response = await fetch(issuer.discoveryUri);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const document = (await response.json()) as Record<string, unknown>;
      expect(document).toMatchObject({
        issuer: issuer.issuer,
        jwks_uri: `${issuer.issuer}/oauth/v2/keys`,
        introspection_endpoint: `${issuer.issuer}/oauth/v2/introspect`,
        token_endpoint: `${issuer.issuer}/oauth/v2/token`,
        revocation_endpoint: `${issuer.issuer}/oauth/v2/revoke`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
      expect(issuer.jwksUri).toBe(document['jwks_uri']);
      expect(issuer.introspectionEndpoint).toBe(document['introspection_endpoint']);
    });

    it('serves the public JWKS with ZITADEL\'s Cache-Control: max-age=300, must-revalidate and no private parts', async () => {
      const response = await fetch(issuer.jwksUri);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('max-age=300, must-revalidate');
      const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: issuer.currentKid, alg: 'RS256', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
    });

    it('mints a JWT that verifies against the remote JWKS, with ZITADEL default claims', async () => {
      const token = await issuer.mintJwt();
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
        issuer: issuer.issuer,
        audience: 'test-project',
      });
      expect(protectedHeader).toEqual({ alg: 'RS256', kid: issuer.currentKid, typ: 'JWT' });
      expect(payload).toEqual({
        iss: issuer.issuer,
        sub: '200000000000000001',
        aud: ['test-project'],
        exp: (payload.iat ?? 0) + 300,
        iat: payload.iat,
        nbf: payload.iat,
        client_id: 'service-user-client',
        jti: expect.stringMatching(/^V2_\d{18}-at_\d{18}$/),
        'urn:zitadel:iam:user:resourceowner:id': '100000000000000001',
        'urn:zitadel:iam:user:resourceowner:name': 'Test Organization',
        'urn:zitadel:iam:user:resourceowner:primary_domain': 'org-100000000000000001.test-issuer.localhost',
      });
      expect(payload.exp).toBe((payload.iat ?? 0) + 300);
      expect(payload.nbf).toBe(payload.iat);
      expect(payload).not.toHaveProperty('scope');
    });

    it.each(['RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'])('signs with %s keys', async (alg) => {
      const other = await createTestIssuer({ alg });
      try {
        const token = await other.mintJwt();
        const { protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(other.jwksUri)), {
          issuer: other.issuer,
          algorithms: [alg],
        });
        expect(protectedHeader.alg).toBe(alg);
        const discovery = (await (await fetch(other.discoveryUri)).json()) as Record<string, unknown>;
        expect(discovery['id_token_signing_alg_values_supported']).toEqual([alg]);
      } finally {
        await other.close();
      }
    });
  });

  describe('mintJwt options', () => {
    it('lets claims override defaults and removes claims set to undefined', async () => {
      const token = await issuer.mintJwt({ sub: 'alice', aud: 'other', client_id: undefined, scope: 'a b' });
      const payload = decodeJwt(token);
      expect(payload.sub).toBe('alice');
      expect(payload.aud).toBe('other');
      expect(payload).not.toHaveProperty('client_id');
      expect(payload['scope']).toBe('a b');
    });

    it('adds, overrides and removes header fields', async () => {
      expect(decodeProtectedHeader(await issuer.mintJwt({}, { header: { typ: 'at+jwt' } })).typ).toBe('at+jwt');
      expect(decodeProtectedHeader(await issuer.mintJwt({}, { header: { typ: undefined } }))).toEqual({
        alg: 'RS256',
        kid: issuer.currentKid,
      });
      expect(decodeProtectedHeader(await issuer.mintJwt({}, { header: { kid: 'unknown' } })).kid).toBe('unknown');
      const jwk = { kty: 'oct', k: 'AAAA' };
      expect(decodeProtectedHeader(await issuer.mintJwt({}, { header: { jwk } })).jwk).toEqual(jwk);
    });

    it('signs exactly the header it is given (crit, mismatching alg)', async () => {
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
      const withCrit = await issuer.mintJwt({}, { header: { crit: ['x'], x: 1 } });
      await expect(jwtVerify(withCrit, jwks)).rejects.toBeInstanceOf(errors.JOSENotSupported);
      // The signature is genuine: jose accepts it once the extension is declared as understood.
      await expect(jwtVerify(withCrit, jwks, { crit: { x: true } })).resolves.toBeDefined();
      const lying = await issuer.mintJwt({}, { header: { alg: 'RS512' } });
      expect(decodeProtectedHeader(lying).alg).toBe('RS512');
      await expect(jwtVerify(lying, jwks)).rejects.toBeInstanceOf(errors.JOSEError);
    });

    it('omits claims', async () => {
      const payload = decodeJwt(await issuer.mintJwt({}, { omit: ['exp', 'jti'] }));
      expect(payload).not.toHaveProperty('exp');
      expect(payload).not.toHaveProperty('jti');
      expect(payload).toHaveProperty('iat');
    });

    it('mints expired tokens with a negative expiresIn', async () => {
      const token = await issuer.mintJwt({}, { expiresIn: -60 });
      await expect(jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)))).rejects.toBeInstanceOf(errors.JWTExpired);
    });

    it.each(['none', 'None', 'NONE'])('mints unsigned tokens with alg %s', async (spelling) => {
      const token = await issuer.mintJwt({}, { unsigned: spelling });
      expect(token.endsWith('.')).toBe(true);
      expect(token.split('.')).toHaveLength(3);
      expect(decodeProtectedHeader(token).alg).toBe(spelling);
      expect(decodeJwt(token).iss).toBe(issuer.issuer);
    });

    it('signs with a foreign key (same kid, bad signature)', async () => {
      const foreign = otherRsaKey(0);
      const token = await issuer.mintJwt({}, { key: foreign.privateKey });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: issuer.currentKid });
      await expect(jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri))))
        .rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
      await expect(jwtVerify(token, foreign.publicKey)).resolves.toBeDefined();
    });

    it('signs HS256 with raw bytes (algorithm confusion tokens)', async () => {
      const secret = new TextEncoder().encode('-----BEGIN PUBLIC KEY----- pretend');
      const token = await issuer.mintJwt({}, { key: secret });
      expect(decodeProtectedHeader(token).alg).toBe('HS256');
      await expect(jwtVerify(token, secret)).resolves.toBeDefined();
      const es = await generateKeyPair('ES384', { extractable: true });
      const esToken = await issuer.mintJwt({}, { key: es.privateKey });
      expect(decodeProtectedHeader(esToken).alg).toBe('ES384');
      await expect(jwtVerify(esToken, es.publicKey)).resolves.toBeDefined();
    });
  });

  describe('introspection', () => {
    it('answers active with the claims of an opaque token (client id with @ sent as %40)', async () => {
      const token = issuer.mintOpaque({ scope: 'openid orders:read' });
      expect(token).toMatch(/^[A-Za-z0-9_-]{104}$/);
      expect(basic('api-client@test-project', 'x')).not.toContain('@');
      const { status, body, headers } = await introspect(issuer, token);
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(body).toMatchObject({
        active: true,
        token_type: 'Bearer',
        scope: 'openid orders:read',
        iss: issuer.issuer,
        sub: '200000000000000001',
        client_id: 'service-user-client',
        aud: ['test-project'],
        'urn:zitadel:iam:user:resourceowner:id': '100000000000000001',
      });
    });

    it('answers bad credentials as ZITADEL does: 400 unauthorized_client, no description, no challenge', async () => {
      const token = issuer.mintOpaque();
      const wrong = await introspect(issuer, token, basic('api-client@test-project', 'nope'));
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({ error: 'unauthorized_client' });
      expect(wrong.headers.get('www-authenticate')).toBeNull();
      expect(await introspect(issuer, token, basic('nobody@test-project', 'x'))).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
      // The secret has '+', '/' and '%': unencoded it does not even decode (zitadel/oidc url.QueryUnescape).
      const raw = `Basic ${Buffer.from('api-client@test-project:s3cr+t/%x').toString('base64')}`;
      expect(await introspect(issuer, token, raw)).toMatchObject({
        status: 400,
        body: { error: 'invalid_client', error_description: 'invalid basic auth header' },
      });
      const plus = `Basic ${Buffer.from('api-client@test-project:s3cr+t/x').toString('base64')}`;
      expect(await introspect(issuer, token, plus)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
      // No credentials at all, and a client id without a secret (zitadel/oidc parseClientCredentials, introspectionHandler).
      expect(await introspect(issuer, token, null)).toMatchObject({
        status: 400,
        body: { error: 'invalid_request', error_description: 'client_id or client_assertion must be provided' },
      });
      const idOnly = await fetch(issuer.introspectionEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: 'api-client@test-project' }).toString(),
      });
      expect(idOnly.status).toBe(400);
      expect(await idOnly.json()).toEqual({ error: 'invalid_client', error_description: 'client must be authenticated' });
    });

    it('accepts client_secret_post like ZITADEL, and refuses two methods at once', async () => {
      const token = issuer.mintOpaque();
      const post = await fetch(issuer.introspectionEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: 'api-client@test-project', client_secret: 's3cr+t/%x' }).toString(),
      });
      expect(((await post.json()) as Record<string, unknown>)['active']).toBe(true);
      const both = await fetch(issuer.introspectionEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('api-client@test-project', 's3cr+t/%x') },
        body: new URLSearchParams({ token, client_id: 'api-client@test-project', client_secret: 's3cr+t/%x' }).toString(),
      });
      expect(both.status).toBe(400);
      expect(await both.json()).toEqual({ error: 'invalid_request', error_description: 'client authentication must not use more than one method' });
    });

    it('answers 401 invalid_client with a Basic challenge when asked for the RFC 6749 shape', async () => {
      const rfc = await createTestIssuer({ keys: 'shared', clientAuthErrors: 'rfc6749' });
      try {
        const token = rfc.mintOpaque();
        const wrong = await introspect(rfc, token, basic(rfc.introspectionClient.clientId, 'nope'));
        expect(wrong.status).toBe(401);
        expect(wrong.body['error']).toBe('invalid_client');
        expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="test-issuer"');
        expect((await introspect(rfc, token, null)).status).toBe(401);
        expect((await introspect(rfc, token)).body['active']).toBe(true);
      } finally {
        await rfc.close();
      }
    });

    it('answers 400 invalid_request without a token or with a JSON body', async () => {
      const auth = basic(issuer.introspectionClient.clientId, issuer.introspectionClient.clientSecret);
      const noToken = await fetch(issuer.introspectionEndpoint, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      expect(noToken.status).toBe(400);
      const json = await fetch(issuer.introspectionEndpoint, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'x' }),
      });
      expect(json.status).toBe(400);
    });

    it('answers inactive for unknown, revoked, expired and inactive opaque tokens', async () => {
      expect((await introspect(issuer, 'unknown-token')).body).toEqual({ active: false });
      const revoked = issuer.mintOpaque();
      expect((await introspect(issuer, revoked)).body['active']).toBe(true);
      issuer.revoke(revoked);
      expect((await introspect(issuer, revoked)).body).toEqual({ active: false });
      expect((await introspect(issuer, issuer.mintOpaque({}, { expiresIn: -1 }))).body).toEqual({ active: false });
      expect((await introspect(issuer, issuer.mintOpaque({}, { active: false }))).body).toEqual({ active: false });
    });

    it('lets a claim override `active` (to test strict resource servers)', async () => {
      expect((await introspect(issuer, issuer.mintOpaque({ active: 'true' }))).body['active']).toBe('true');
    });

    it('answers for its own valid JWTs, with introspectionScope, and revokes them by token or jti', async () => {
      const token = await issuer.mintJwt({}, { introspectionScope: 'openid urn:zitadel:iam:org:project:id:zitadel:aud' });
      expect(decodeJwt(token)).not.toHaveProperty('scope');
      const { body } = await introspect(issuer, token);
      expect(body).toMatchObject({
        active: true,
        token_type: 'Bearer',
        scope: 'openid urn:zitadel:iam:org:project:id:zitadel:aud',
        sub: '200000000000000001',
        jti: decodeJwt(token).jti,
      });
      issuer.revoke(token);
      expect((await introspect(issuer, token)).body).toEqual({ active: false });

      const byJti = await issuer.mintJwt();
      issuer.revoke(String(decodeJwt(byJti).jti));
      expect((await introspect(issuer, byJti)).body).toEqual({ active: false });
    });

    it('answers inactive for JWTs it did not sign validly', async () => {
      const foreign = otherRsaKey(0);
      const cases = [
        await issuer.mintJwt({}, { key: foreign.privateKey }),
        await issuer.mintJwt({}, { unsigned: 'none' }),
        await issuer.mintJwt({}, { expiresIn: -5 }),
        await issuer.mintJwt({}, { omit: ['exp'] }),
        await issuer.mintJwt({ iss: 'https://elsewhere.example' }),
      ];
      for (const token of cases) {
        expect((await introspect(issuer, token)).body).toEqual({ active: false });
      }
    });

    it('accepts private_key_jwt client assertions when configured', async () => {
      const { privateKey, publicKey } = otherRsaKey(1);
      const keyed = await createTestIssuer({
        keys: await testKeys(),
        introspectionClientKey: { clientId: '311@project', keyId: 'key-1', publicKey },
      });
      try {
        const assertion = async (kid: string, aud: string): Promise<string> =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'RS256', kid })
            .setIssuer('311@project')
            .setSubject('311@project')
            .setAudience(aud)
            .setIssuedAt()
            .setExpirationTime('1m')
            .sign(privateKey);
        const call = async (clientAssertion: string): Promise<Response> =>
          fetch(keyed.introspectionEndpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: clientAssertion,
              token: keyed.mintOpaque(),
            }).toString(),
          });
        const ok = await call(await assertion('key-1', keyed.issuer));
        expect(ok.status).toBe(200);
        expect(((await ok.json()) as Record<string, unknown>)['active']).toBe(true);
        const wrongKid = await call(await assertion('key-2', keyed.issuer));
        expect(wrongKid.status).toBe(400);
        expect(await wrongKid.json()).toEqual({ error: 'unauthorized_client' });
        expect((await call(await assertion('key-1', 'https://other.example'))).status).toBe(400);
        expect((await introspect(keyed, keyed.mintOpaque())).status).toBe(200);
      } finally {
        await keyed.close();
      }
    });
  });

  describe('keys and roles', () => {
    it('rotates keys: the new kid is current, the old stays unless dropOld', async () => {
      const local = await createTestIssuer({ keys: await testKeys() });
      try {
        const oldKid = local.currentKid;
        const oldToken = await local.mintJwt();
        const newKid = await local.rotateKeys();
        expect(newKid).not.toBe(oldKid);
        expect(local.currentKid).toBe(newKid);
        const kids = async (): Promise<unknown[]> =>
          ((await (await fetch(local.jwksUri)).json()) as { keys: { kid: unknown }[] }).keys.map((key) => key.kid);
        expect((await kids()).sort()).toEqual([oldKid, newKid].sort());
        const newToken = await local.mintJwt();
        expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
        const jwks = createRemoteJWKSet(new URL(local.jwksUri));
        await expect(jwtVerify(oldToken, jwks)).resolves.toBeDefined();
        await expect(jwtVerify(newToken, jwks)).resolves.toBeDefined();

        const esKid = await local.rotateKeys({ dropOld: true, alg: 'ES256' });
        expect(await kids()).toEqual([esKid]);
        expect(decodeProtectedHeader(await local.mintJwt()).alg).toBe('ES256');
        expect((await introspect(local, oldToken)).body).toEqual({ active: false });
      } finally {
        await local.close();
      }
    });

    it('builds the role claim of a service user\'s JWT: the project-specific claim only, unless asked for the generic one', async () => {
      const grants = { 'orders.admin': { 1: 'org-1.test-issuer.localhost', 2: 'org-2.test-issuer.localhost' } };
      expect(issuer.roleClaims({ 'orders.admin': ['1', '2'] })).toEqual({ 'urn:zitadel:iam:org:project:test-project:roles': grants });
      expect(issuer.roleClaims({ 'orders.admin': ['1', '2'] }, { generic: true })).toEqual({
        'urn:zitadel:iam:org:project:roles': grants,
        'urn:zitadel:iam:org:project:test-project:roles': grants,
      });
      expect(issuer.roleClaims(['reader'], { projectId: 'other' })).toEqual({
        'urn:zitadel:iam:org:project:other:roles': { reader: { '100000000000000001': 'org-100000000000000001.test-issuer.localhost' } },
      });
    });
  });

  describe('outages', () => {
    it('refuses connections, then comes back on the same port', async () => {
      // Several keep-alive sockets are open now; goDown must destroy them all.
      const warm = await Promise.all([1, 2, 3, 4, 5].map(async () => (await fetch(issuer.discoveryUri)).status));
      expect(warm).toEqual([200, 200, 200, 200, 200]);
      await issuer.goDown('refuse');
      const error = await fetch(issuer.discoveryUri).then(() => undefined, (caught: unknown) => caught);
      expect((error as Error).name).toBe('TypeError'); // fetch failed
      expect(causeCode(error)).toBe('ECONNREFUSED');
      await issuer.comeBack();
      const response = await fetch(issuer.discoveryUri);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { issuer: string }).issuer).toBe(issuer.issuer);
    });

    it('defaults to refuse', async () => {
      await issuer.goDown();
      const error = await fetch(issuer.jwksUri).then(() => undefined, (caught: unknown) => caught);
      expect(causeCode(error)).toBe('ECONNREFUSED');
    });

    it('answers 500 in error mode and non-JSON in garbage mode', async () => {
      await issuer.goDown('error');
      expect((await fetch(issuer.jwksUri)).status).toBe(500);
      await issuer.goDown('garbage');
      const garbage = await fetch(issuer.jwksUri);
      expect(garbage.status).toBe(200);
      const text = await garbage.text();
      expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    });

    it('hangs: requests are accepted and never answered', async () => {
      await issuer.goDown('hang');
      const error = await fetch(issuer.discoveryUri, { signal: AbortSignal.timeout(300) })
        .then(() => undefined, (caught: unknown) => caught);
      expect((error as Error).name).toBe('TimeoutError');
      // still hanging for a request left open; comeBack (afterEach) and close() drop it
      void fetch(issuer.jwksUri).catch(() => undefined);
    });

    it('comes back from a refused state into another outage mode', async () => {
      await issuer.goDown('refuse');
      await issuer.goDown('error');
      expect((await fetch(issuer.jwksUri)).status).toBe(500);
    });

    it('delays answers with setLatency', async () => {
      issuer.setLatency(150);
      const started = Date.now();
      expect((await fetch(issuer.jwksUri)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      issuer.setLatency(0);
      const fast = Date.now();
      await fetch(issuer.jwksUri);
      expect(Date.now() - fast).toBeLessThan(140);
    });

    it('counts requests per endpoint, in outages too', async () => {
      issuer.resetCounts();
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
      await fetch(issuer.discoveryUri);
      await fetch(issuer.jwksUri);
      await fetch(issuer.jwksUri);
      await introspect(issuer, 'x');
      await issuer.goDown('error');
      await fetch(issuer.jwksUri);
      await issuer.goDown('garbage');
      await fetch(issuer.introspectionEndpoint, { method: 'POST' });
      await issuer.goDown('hang');
      await fetch(issuer.discoveryUri, { signal: AbortSignal.timeout(100) }).catch(() => undefined);
      await issuer.goDown('refuse');
      await fetch(issuer.discoveryUri).catch(() => undefined);
      expect(issuer.requests).toEqual({ discovery: 2, jwks: 3, introspection: 2 });
      issuer.resetCounts();
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
    });

    it('answers 404 for anything else', async () => {
      expect((await fetch(`${issuer.issuer}/oauth/v2/token`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(issuer.jwksUri, { method: 'POST' })).status).toBe(404);
      expect((await fetch(issuer.introspectionEndpoint)).status).toBe(404);
    });
  });

  describe('lifecycle and options', () => {
    it('close() drops hung connections and is idempotent; the port is then closed', async () => {
      const local = await createTestIssuer({ keys: await testKeys() });
      await local.goDown('hang');
      const pending = fetch(local.jwksUri).then(() => 'answered', () => 'failed');
      // The request has reached the hung issuer (it counts requests in outages too).
      while (local.requests.jwks === 0) await new Promise((resolve) => setImmediate(resolve));
      await local.close();
      await local.close();
      expect(await pending).toBe('failed');
      const error = await fetch(local.jwksUri).then(() => undefined, (caught: unknown) => caught);
      expect(causeCode(error)).toBe('ECONNREFUSED');
      await expect(local.comeBack()).rejects.toThrow('closed');
    });

    it('listens on a given port and uses the given audience and clock', async () => {
      const probe = await createTestIssuer({ keys: await testKeys() });
      const port = Number(new URL(probe.issuer).port);
      await probe.close();
      const local = await createTestIssuer({ keys: await testKeys(), port, audience: 'api', projectId: 'api', now: () => 1_700_000_000_000 });
      try {
        expect(local.issuer).toBe(`http://127.0.0.1:${port}`);
        const payload = decodeJwt(await local.mintJwt());
        expect(payload).toMatchObject({ aud: ['api'], iat: 1_700_000_000, exp: 1_700_000_300 });
        // The issuer's own clock decides introspection too.
        expect((await introspect(local, await local.mintJwt())).body['active']).toBe(true);
      } finally {
        await local.close();
      }
    });

    it('rejects bad options with a message naming the option', async () => {
      await expect(createTestIssuer({ alg: 'HS256' })).rejects.toThrow('"alg" option');
      await expect(createTestIssuer({ port: -1 })).rejects.toThrow('"port" option');
      await expect(createTestIssuer({ audience: [] })).rejects.toThrow('"audience" option');
      await expect(createTestIssuer({ introspectionClient: { clientId: '', clientSecret: 'x' } }))
        .rejects.toThrow('"introspectionClient" option');
      await expect(issuer.rotateKeys({ alg: 'none' })).rejects.toThrow('"alg" option');
      await expect(issuer.mintJwt({}, { expiresIn: Number.NaN })).rejects.toThrow('"expiresIn" option');
      await expect(issuer.goDown('sideways' as 'hang')).rejects.toThrow('goDown "mode"');
      expect(() => issuer.setLatency(-1)).toThrow('setLatency');
    });
  });
});
