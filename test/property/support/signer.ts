import { createSign, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { FetchLike } from '../../../lib/core/http.js';
import { otherRsaKey } from '../../support/test-keys.js';

export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'api';

interface SigningKey {
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

function key(alg: SigningKey['alg'], kid: string): SigningKey {
  const pair =
    alg === 'RS256'
      ? otherRsaKey(0)
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { alg, kid, privateKey: pair.privateKey, jwk: { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' } };
}

/**
 * An issuer that lives in memory: three keys (RS256, ES256, EdDSA), a `fetch` that serves
 * discovery, the JWKS and an introspection endpoint that knows no token, and a signer.
 */
export function memoryIssuer() {
  const keys = [key('RS256', 'rsa-1'), key('ES256', 'ec-1'), key('EdDSA', 'ed-1')];
  const fetch: FetchLike = async (url) => {
    if (url === `${ISSUER}/.well-known/openid-configuration`) {
      return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/keys`, introspection_endpoint: `${ISSUER}/introspect` });
    }
    if (url === `${ISSUER}/keys`) return Response.json({ keys: keys.map((k) => k.jwk) });
    if (url === `${ISSUER}/introspect`) return Response.json({ active: false });
    return new Response('not found', { status: 404 });
  };

  function signWith(signingKey: SigningKey, input: string): string {
    const data = Buffer.from(input);
    if (signingKey.alg === 'RS256') return createSign('sha256').update(data).sign(signingKey.privateKey).toString('base64url');
    if (signingKey.alg === 'ES256') return sign('sha256', data, { key: signingKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return sign(null, data, signingKey.privateKey).toString('base64url');
  }

  /** A valid access token signed with key `index` (0 RS256, 1 ES256, 2 EdDSA). */
  function mint(index: number, claims: Record<string, unknown> = {}): string {
    const signingKey = keys[index % keys.length]!;
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: signingKey.alg, kid: signingKey.kid, typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', client_id: 'c', jti: `j-${index}-${Math.random()}`, iat: now, exp: now + 3600, ...claims }),
    ).toString('base64url');
    return `${header}.${payload}.${signWith(signingKey, `${header}.${payload}`)}`;
  }

  return { fetch, mint, keys };
}
