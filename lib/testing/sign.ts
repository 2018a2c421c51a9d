/**
 * Raw JWS compact signing for the test issuer.
 *
 * The test issuer must be able to mint tokens that a correct resource server refuses: a header
 * `alg` that does not match the key, HMAC signed with a public key's bytes, unknown `crit`,
 * embedded `jwk`, … A JOSE library rightly refuses to produce most of these, so the issuer
 * signs `base64url(header).base64url(payload)` itself with `node:crypto`. The header is
 * written exactly as given; only the signing algorithm decides how the signature is made.
 */
import { createHmac, createSecretKey, KeyObject, constants, sign as cryptoSign } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import type { CryptoKey } from 'jose';

/** A key the test issuer can sign with. */
export type SigningKeyInput = CryptoKey | Uint8Array | KeyObject;

/** Every algorithm {@link signCompact} knows how to produce. */
export const SIGNING_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
  'HS256', 'HS384', 'HS512',
]);

const EC_CURVES: Readonly<Record<string, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
  ES512: 'secp521r1',
};

const CURVE_TO_ALG: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  'P-256': 'ES256',
  secp384r1: 'ES384',
  'P-384': 'ES384',
  secp521r1: 'ES512',
  'P-521': 'ES512',
};

/** Encodes a JSON value as base64url without padding. */
export function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Turns any accepted key input into a Node `KeyObject`. */
export function toKeyObject(key: SigningKeyInput): KeyObject {
  if (key instanceof KeyObject) return key;
  if (key instanceof Uint8Array) return createSecretKey(key);
  return KeyObject.from(key as unknown as webcrypto.CryptoKey);
}

/**
 * Guesses the JWS algorithm a key is meant for: RS256 for RSA (PS* for an RSA-PSS
 * CryptoKey), ES256/384/512 by curve, EdDSA for Ed25519, HS256 for raw bytes or a secret.
 */
export function inferAlgorithm(key: SigningKeyInput): string {
  if (key instanceof Uint8Array) return 'HS256';
  if (!(key instanceof KeyObject)) {
    const algorithm = (key as { algorithm?: { name?: string; hash?: { name?: string }; namedCurve?: string } }).algorithm;
    const bits = algorithm?.hash?.name?.replace('SHA-', '');
    switch (algorithm?.name) {
      case 'RSASSA-PKCS1-v1_5': return `RS${bits ?? '256'}`;
      case 'RSA-PSS': return `PS${bits ?? '256'}`;
      case 'HMAC': return `HS${bits ?? '256'}`;
      case 'Ed25519': return 'EdDSA';
      default: break;
    }
  }
  const object = toKeyObject(key);
  if (object.type === 'secret') return 'HS256';
  switch (object.asymmetricKeyType) {
    case 'rsa': return 'RS256';
    case 'rsa-pss': return 'PS256';
    case 'ed25519': return 'EdDSA';
    case 'ec': {
      const alg = CURVE_TO_ALG[object.asymmetricKeyDetails?.namedCurve ?? ''];
      if (alg !== undefined) return alg;
      break;
    }
    default: break;
  }
  throw new TypeError(`cannot tell which "alg" fits a ${object.asymmetricKeyType ?? object.type} key; pass "alg"`);
}

function hashOf(alg: string): string {
  return `sha${alg.slice(2)}`;
}

function requireKeyType(alg: string, key: KeyObject, types: readonly string[]): void {
  const actual = key.type === 'secret' ? 'secret' : (key.asymmetricKeyType ?? key.type);
  if (!types.includes(actual)) {
    throw new TypeError(`"alg" ${alg} cannot sign with a ${actual} key`);
  }
  if (key.type === 'public') {
    throw new TypeError(`"alg" ${alg} needs a private key, got a public key`);
  }
}

/** Signs `signingInput` (ASCII `header.payload`) and returns the base64url signature. */
export function signInput(signingInput: string, alg: string, input: SigningKeyInput): string {
  const data = Buffer.from(signingInput, 'ascii');
  const key = toKeyObject(input);
  let signature: Buffer;
  switch (alg) {
    case 'HS256': case 'HS384': case 'HS512':
      requireKeyType(alg, key, ['secret']);
      signature = createHmac(hashOf(alg), key).update(data).digest();
      break;
    case 'RS256': case 'RS384': case 'RS512':
      requireKeyType(alg, key, ['rsa']);
      signature = cryptoSign(hashOf(alg), data, { key, padding: constants.RSA_PKCS1_PADDING });
      break;
    case 'PS256': case 'PS384': case 'PS512':
      requireKeyType(alg, key, ['rsa', 'rsa-pss']);
      signature = cryptoSign(hashOf(alg), data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(alg.slice(2)) / 8,
      });
      break;
    case 'ES256': case 'ES384': case 'ES512': {
      requireKeyType(alg, key, ['ec']);
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve !== EC_CURVES[alg]) {
        throw new TypeError(`"alg" ${alg} needs curve ${EC_CURVES[alg] ?? '?'}, got ${curve ?? 'none'}`);
      }
      signature = cryptoSign(hashOf(alg), data, { key, dsaEncoding: 'ieee-p1363' });
      break;
    }
    case 'EdDSA': case 'Ed25519':
      requireKeyType(alg, key, ['ed25519']);
      signature = cryptoSign(null, data, key);
      break;
    default:
      throw new TypeError(`"alg" must be one of ${SIGNING_ALGORITHMS.join(', ')}; got ${JSON.stringify(alg)}`);
  }
  return signature.toString('base64url');
}

/**
 * Produces a JWS in compact serialization. `header` is encoded as given (its `alg` is not
 * checked against `alg`); `alg` and `key` decide the signature. With `key` `null` the
 * signature is empty (an unsecured JWS).
 */
export function signCompact(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  alg: string,
  key: SigningKeyInput | null,
): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  if (key === null) return `${signingInput}.`;
  return `${signingInput}.${signInput(signingInput, alg, key)}`;
}
