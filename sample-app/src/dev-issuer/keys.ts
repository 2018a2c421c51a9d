import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** An RSA key pair generated in memory for one run; nothing is read from or written to disk. */
export interface RsaKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), the format of ZITADEL key files. */
  readonly pkcs1Pem: string;
}

const SNOWFLAKE_SPAN = 10n ** 17n;

/**
 * An 18-digit numeric id in the style of ZITADEL's resource ids. Random unless `seed` is
 * given, in which case the id is derived from it (same seed, same id).
 */
export function numericId(seed?: string): string {
  const bytes = seed === undefined ? randomBytes(8) : createHash('sha256').update(seed).digest();
  const value = bytes.readBigUInt64BE(0) % SNOWFLAKE_SPAN;
  return (3n * SNOWFLAKE_SPAN + value).toString();
}

/** A random secret in the alphabet ZITADEL uses for generated client secrets. */
export function randomSecret(): string {
  return randomBytes(48).toString('base64url');
}

/** A 2048-bit RSA key pair (`privateKey`'s, else one generated now) with a fresh numeric key id. */
export function generateRsaKey(existing?: KeyObject): RsaKey {
  if (existing !== undefined && (existing.type !== 'private' || existing.asymmetricKeyType !== 'rsa')) {
    throw new TypeError('"keys" option: each key must be an RSA private KeyObject');
  }
  const { privateKey, publicKey } = existing === undefined ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : { privateKey: existing, publicKey: createPublicKey(existing) };
  const pkcs1Pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { keyId: numericId(), privateKey, publicKey, pkcs1Pem };
}

/** The issuer's signing key as a private JWK for `oidc-provider`'s `jwks` option. */
export function signingJwk(key: RsaKey): Record<string, unknown> {
  return { ...key.privateKey.export({ format: 'jwk' }), kid: key.keyId, alg: 'RS256', use: 'sig' };
}
