import { createSign } from 'node:crypto';
import type { JWK } from 'jose';
import { otherRsaKey } from '../../support/test-keys.js';

/** One RS256 key, its JWKS, and tokens signed with it for a given issuer. */
export function rsaSigner(kid = 'fault-key-1') {
  const { privateKey, publicKey } = otherRsaKey(0);
  const jwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' };
  return {
    jwk,
    jwks: { keys: [jwk] },
    mint(issuer: string, audience: string, claims: Record<string, unknown> = {}): string {
      const now = Math.floor(Date.now() / 1000);
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({ iss: issuer, aud: audience, sub: 'alice', client_id: 'svc', jti: `jti-${Math.random()}`, iat: now, exp: now + 300, ...claims }),
      ).toString('base64url');
      const signature = createSign('sha256').update(`${header}.${payload}`).sign(privateKey).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
  };
}
