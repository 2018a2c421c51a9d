/**
 * The test issuer's signing keys: generated at run time, never written anywhere.
 */
import { createPrivateKey, createPublicKey, randomInt, KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, importSPKI } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK } from 'jose';

/** Algorithms the issuer can generate its own signing keys for. */
export const ISSUER_KEY_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
]);

/** One signing key of the issuer. */
export interface IssuerKey {
  /** Key id, published in the JWKS and put in minted headers. ZITADEL-like: a numeric string. */
  readonly kid: string;
  /** JWS algorithm the key signs with. */
  readonly alg: string;
  /** Private key, as a Node `KeyObject`. */
  readonly privateKey: KeyObject;
  /** Public key, as a Web Crypto key (what jose returns). */
  readonly publicKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: Readonly<JWK>;
}

/** Checks an algorithm name given as option `name`; returns it. */
export function checkIssuerKeyAlgorithm(alg: unknown, name: string): string {
  if (typeof alg !== 'string' || !ISSUER_KEY_ALGORITHMS.includes(alg)) {
    throw new TypeError(`"${name}" option must be one of ${ISSUER_KEY_ALGORITHMS.join(', ')}; got ${JSON.stringify(alg)}`);
  }
  return alg;
}

function newKid(): string {
  // ZITADEL key ids are snowflake-like decimal strings of 18 digits.
  return `${randomInt(100_000_000, 1_000_000_000)}${randomInt(100_000_000, 1_000_000_000)}`;
}

/** Generates one key pair for `alg`. */
export async function generateIssuerKey(alg: string): Promise<IssuerKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const kid = newKid();
  const jwk = await exportJWK(pair.publicKey);
  return Object.freeze({
    kid,
    alg,
    privateKey: KeyObject.from(pair.privateKey as unknown as webcrypto.CryptoKey),
    publicKey: pair.publicKey,
    publicJwk: Object.freeze({ ...jwk, kid, alg, use: 'sig' }),
  });
}

/**
 * The set of keys the issuer publishes. The last key added is the current signing key.
 *
 * @example
 * ```ts
 * const ring = await KeyRing.create('RS256');
 * const next = await ring.rotate('ES256', false);
 * ring.jwks().keys.length; // 2
 * ```
 */
export class KeyRing {
  #keys: IssuerKey[];

  private constructor(first: IssuerKey) {
    this.#keys = [first];
  }

  /** A ring holding one fresh key for `alg`. */
  static async create(alg: string): Promise<KeyRing> {
    return new KeyRing(await generateIssuerKey(alg));
  }

  /** A ring that starts with an existing key (shared with other rings; rotation adds to this ring only). */
  static withKey(key: IssuerKey): KeyRing {
    return new KeyRing(key);
  }

  /** The key new tokens are signed with. */
  get current(): IssuerKey {
    const key = this.#keys[this.#keys.length - 1];
    if (key === undefined) throw new Error('the key ring is empty');
    return key;
  }

  /** Adds a fresh key and makes it current; with `dropOld` the other keys are removed. */
  async rotate(alg: string, dropOld: boolean): Promise<IssuerKey> {
    const key = await generateIssuerKey(alg);
    this.#keys = dropOld ? [key] : [...this.#keys, key];
    return key;
  }

  /** The public JWKS, newest key first. */
  jwks(): JSONWebKeySet {
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })).reverse() };
  }

  /** Distinct algorithms of the published keys. */
  algorithms(): string[] {
    return [...new Set(this.#keys.map((key) => key.alg))];
  }
}

/** The private keys behind each {@link TestIssuerKeys} handed out; held here, never on the object. */
const privateKeys = new WeakMap<object, IssuerKey>();

/**
 * A signing key generated once and handed to several test issuers through the `keys` option,
 * so that each issuer does not pay for its own key generation (about 200 ms for RSA). Create
 * one with {@link createTestKeys}; never written anywhere, gone with the process.
 */
export interface TestIssuerKeys {
  /** JWS algorithm of the key. */
  readonly alg: string;
  /** Key id published in the JWKS of every issuer that uses these keys. */
  readonly kid: string;
}

/**
 * Generates a signing key to share between test issuers (`createTestIssuer({ keys })`).
 * Issuers that share keys verify each other's tokens' signatures; they still differ in `iss`.
 *
 * @example
 * ```ts
 * import { createTestIssuer, createTestKeys } from 'zitadel-resource-server/testing';
 *
 * const keys = await createTestKeys();            // once per test file (or per run)
 * const a = await createTestIssuer({ keys });     // no key generation here
 * const b = await createTestIssuer({ keys });
 * ```
 */
export async function createTestKeys(alg = 'RS256'): Promise<TestIssuerKeys> {
  const key = await generateIssuerKey(checkIssuerKeyAlgorithm(alg, 'alg'));
  const keys: TestIssuerKeys = Object.freeze({ alg: key.alg, kid: key.kid });
  privateKeys.set(keys, key);
  return keys;
}

/**
 * Wraps a private key generated elsewhere at run time — a PKCS#8 PEM or a Node `KeyObject`,
 * for instance made once per test run in a Jest `globalSetup` and handed to the test files
 * through an environment variable — as {@link TestIssuerKeys}. Jest gives every test file
 * its own module registry, so `keys: 'shared'` shares a key within a file only; this shares
 * one across files, and no test file pays for key generation.
 *
 * @example
 * ```ts
 * import { createTestIssuer, importTestKeys } from 'zitadel-resource-server/testing';
 *
 * // globalSetup: process.env.TEST_ISSUER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
 * //   .privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
 * const keys = await importTestKeys(process.env.TEST_ISSUER_KEY!);
 * const issuer = await createTestIssuer({ keys });
 * ```
 */
export async function importTestKeys(privateKey: string | KeyObject, alg = 'RS256'): Promise<TestIssuerKeys> {
  checkIssuerKeyAlgorithm(alg, 'alg');
  let key: KeyObject;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch {
    throw new TypeError('importTestKeys "privateKey" must be a private key: a PKCS#8 PEM or a KeyObject');
  }
  if (!(key instanceof KeyObject) || key.type !== 'private') {
    throw new TypeError('importTestKeys "privateKey" must be a private key: a PKCS#8 PEM or a KeyObject');
  }
  const spki = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  let publicKey: CryptoKey;
  try {
    publicKey = await importSPKI(spki, alg, { extractable: true });
  } catch {
    throw new TypeError(`importTestKeys "privateKey" is not a key for ${alg}`);
  }
  const kid = newKid();
  const jwk = await exportJWK(publicKey);
  const issuerKey: IssuerKey = Object.freeze({ kid, alg, privateKey: key, publicKey, publicJwk: Object.freeze({ ...jwk, kid, alg, use: 'sig' }) });
  const keys: TestIssuerKeys = Object.freeze({ alg, kid });
  privateKeys.set(keys, issuerKey);
  return keys;
}

/** The key inside `keys`, or `undefined` when `keys` is not a {@link TestIssuerKeys}. */
export function unwrapTestKeys(keys: unknown): IssuerKey | undefined {
  return typeof keys === 'object' && keys !== null ? privateKeys.get(keys) : undefined;
}

const shared = new Map<string, Promise<IssuerKey>>();

/** The process-wide key for `alg`, generated on first use (`keys: 'shared'`). */
export function sharedIssuerKey(alg: string): Promise<IssuerKey> {
  let key = shared.get(alg);
  if (key === undefined) {
    key = generateIssuerKey(alg);
    shared.set(alg, key);
    key.catch(() => shared.delete(alg));
  }
  return key;
}
