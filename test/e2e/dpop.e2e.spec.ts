import { randomUUID, createHash } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const ALGS = 'ES256 ES384 ES512 PS256 RS256 EdDSA';
/** The origin clients call the API at (dpop.origins): proofs name it, requests carry its Host. */
const ORIGIN = 'http://orders.acme.test';

describe.each(APP_KINDS)('DPoP (RFC 9449) on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  let strict: RunningApp;
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  let jkt: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const options = { issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' };
    app = await startApp(kind, { ...options, dpop: { origins: [ORIGIN] } });
    strict = await startApp(kind, { ...options, dpop: { origins: [ORIGIN], required: true } });
  });
  afterAll(async () => {
    await Promise.all([app.close(), strict.close()]);
    await issuer.close();
  });

  async function proof(url: string, token: string, overrides: { htm?: string; jti?: string; signWith?: typeof key; jwk?: JWK; iat?: number } = {}) {
    return new SignJWT({
      htm: overrides.htm ?? 'GET',
      htu: url,
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: overrides.jwk ?? jwk })
      .setIssuedAt(overrides.iat ?? Math.floor(Date.now() / 1000))
      .setJti(overrides.jti ?? randomUUID())
      .sign(overrides.signWith ?? key);
  }

  function call(base: RunningApp, path: string, token: string, dpopProof?: string, scheme = 'DPoP') {
    const headers: [string, string][] = [['host', new URL(ORIGIN).host], ['authorization', `${scheme} ${token}`]];
    if (dpopProof) headers.push(['dpop', dpopProof]);
    return send(`${base.url}${path}`, { headers });
  }

  it('accepts a DPoP-bound token with a valid proof', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const response = await call(app, '/me', token, await proof(`${ORIGIN}/me`, token));
    expect(response.status).toBe(200);
  });

  it('refuses a replayed proof', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const once = await proof(`${ORIGIN}/me`, token);
    expect((await call(app, '/me', token, once)).status).toBe(200);
    const replay = await call(app, '/me', token, once);
    expect(replay.status).toBe(401);
    expect(replay.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_dpop_proof", error_description="The DPoP proof has been used before", algs="${ALGS}"`,
    );
  });

  it.each([
    ['another URL', (url: string) => ({ url: url.replace('/me', '/admin') }), 'The DPoP proof is for another URL'],
    ['another method', () => ({ htm: 'POST' }), 'The DPoP proof is for another HTTP method'],
    ['an old iat', () => ({ iat: Math.floor(Date.now() / 1000) - 600 }), 'The DPoP proof is too old'],
  ])('refuses a proof for %s', async (_name, change, description) => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const target = `${ORIGIN}/me`;
    const overrides = change(target) as { url?: string; htm?: string; iat?: number };
    const response = await call(app, '/me', token, await proof(overrides.url ?? target, token, overrides));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain(`error="invalid_dpop_proof", error_description="${description}"`);
  });

  it('refuses a proof for another token, a missing proof, and a proof signed by another key', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const other = await issuer.mintJwt({ cnf: { jkt } });
    expect((await call(app, '/me', token, await proof(`${ORIGIN}/me`, other))).headers['www-authenticate']).toContain('(ath)');
    expect((await call(app, '/me', token)).headers['www-authenticate']).toContain('A DPoP proof is required');
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const foreign = await proof(`${ORIGIN}/me`, token, { signWith: attacker.privateKey, jwk: await exportJWK(attacker.publicKey) });
    const response = await call(app, '/me', token, foreign);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_token", error_description="The DPoP proof key does not match the token binding", algs="${ALGS}"`,
    );
  });

  it('refuses a DPoP-bound token presented as a bearer token, with the DPoP challenge', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const response = await call(app, '/me', token, undefined, 'Bearer');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      `DPoP realm="api", error="invalid_token", error_description="A DPoP-bound token must be sent with the DPoP scheme and a proof", algs="${ALGS}"`,
    );
  });

  it('still accepts plain bearer tokens unless DPoP is required, and offers both schemes', async () => {
    const token = await issuer.mintJwt();
    expect((await call(app, '/me', token, undefined, 'Bearer')).status).toBe(200);
    const none = await send(`${app.url}/me`);
    expect(none.headers['www-authenticate']).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`);
    const refused = await call(strict, '/me', token, undefined, 'Bearer');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('DPoP realm="api", error="invalid_token", error_description="This API accepts DPoP-bound tokens only"');
  });
});
