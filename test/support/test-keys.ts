/**
 * The RSA keys of this run, generated once by support/global-setup.js and handed to every
 * test file in the environment (ZRS_TEST_ISSUER_KEY, ZRS_TEST_RSA_KEYS), so that no test
 * file pays for RSA key generation (100-450 ms of CPU a key on this machine). Outside Jest's
 * globalSetup (a single file run by another config), each is generated on first use, for
 * this file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createTestKeys, importTestKeys } from '../../lib/testing/index.js';
import type { TestIssuerKeys } from '../../lib/testing/index.js';

let keys: Promise<TestIssuerKeys> | undefined;

/** Keys for `createTestIssuer({ keys })`: issuers sharing them verify each other's signatures, their `iss` still differs. */
export function testKeys(): Promise<TestIssuerKeys> {
  const pem = process.env.ZRS_TEST_ISSUER_KEY;
  keys ??= pem === undefined ? createTestKeys('RS256') : importTestKeys(pem, 'RS256');
  return keys;
}

/** An RSA key pair as `generateKeyPairSync('rsa')` returns it. */
export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const others = new Map<number, RsaKeyPair>();

/**
 * The `index`-th 2048-bit RSA key pair of this run that is not the test issuers' key
 * (`testKeys()`): distinct indexes are distinct keys. For a key a test needs besides the
 * issuer's — a service user's or an API application's key file, an attacker's, the dev
 * issuer's (0 to 2, `devIssuerKeys()`). Indexes 0 to 2 come from the run's pool; next to a
 * dev issuer, a key it does not know is `testIssuerRsaKey()`.
 */
export function otherRsaKey(index: number): RsaKeyPair {
  let pair = others.get(index);
  if (pair === undefined) {
    const pem = (JSON.parse(process.env.ZRS_TEST_RSA_KEYS ?? '[]') as string[])[index];
    if (pem === undefined) {
      pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    } else {
      const privateKey = createPrivateKey(pem);
      pair = { privateKey, publicKey: createPublicKey(privateKey) };
    }
    others.set(index, pair);
  }
  return pair;
}

/** The test issuers' key (`testKeys()`) as a key pair, a key no dev issuer holds (outside globalSetup: one of its own). */
export function testIssuerRsaKey(): RsaKeyPair {
  const pem = process.env.ZRS_TEST_ISSUER_KEY;
  if (pem === undefined) return otherRsaKey(-1);
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Keys for `startDevIssuer({ keys })` (the sample app's dev issuer): `otherRsaKey(0)` to `(2)`. */
export function devIssuerKeys(): { signing: KeyObject; api: KeyObject; serviceUser: KeyObject } {
  return { signing: otherRsaKey(0).privateKey, api: otherRsaKey(1).privateKey, serviceUser: otherRsaKey(2).privateKey };
}
