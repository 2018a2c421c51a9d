import { createPublicKey, createSign, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { otherRsaKey, testKeys } from '../../support/test-keys.js';

/** A key pair with its JWKs (public and private) and PEMs. */
export interface KeyMaterial {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly publicPem: string;
  readonly privatePem: string;
}

/** `rsa`: one of the run's RSA keys (`otherRsaKey(rsaIndex)`); `ec`: a P-256 key generated now. */
function keyMaterial(type: 'rsa' | 'ec', rsaIndex: number): KeyMaterial {
  const { privateKey, publicKey } = type === 'rsa' ? otherRsaKey(rsaIndex) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
    privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Key material per role, made once per module registry (each app kind's context reuses it). */
const materials = new Map<string, KeyMaterial>();
function keyMaterialFor(role: string, type: 'rsa' | 'ec'): KeyMaterial {
  let material = materials.get(role);
  if (material === undefined) {
    material = keyMaterial(type, materials.size);
    materials.set(role, material);
  }
  return material;
}

/** A tiny HTTP server on 127.0.0.1 that counts the requests it gets. */
export interface CountingServer {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

async function countingServer(answer: (path: string) => { status: number; body: string }): Promise<CountingServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '/');
    const { status, body } = answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * Everything the attack corpus needs: a test issuer (minting, introspection), its public
 * key as JWK and PEM (what an attacker can download), attacker keys that nobody trusts, and
 * "trusted" keys that the resource server under test accepts (its `jwksUri` points at a
 * mirror serving the issuer's keys plus these). The trusted keys let the corpus sign
 * byte-exact headers and payloads (duplicate JSON keys, non-object payloads, …) so that
 * what is tested is the parsing, not the signature.
 */
export interface AttackContext {
  readonly issuer: TestIssuer;
  /** The issuer's published RSA key. */
  readonly issuerJwk: JWK & { kid: string; n: string };
  /** The same key as an SPKI PEM, as an attacker would convert it for HMAC confusion. */
  readonly issuerPem: string;
  /** Keys nobody trusts. */
  readonly attackerRsa: KeyMaterial;
  readonly attackerEc: KeyMaterial;
  /** Keys in the JWKS the resource server reads (kid `trusted-rsa` / `trusted-ec`). */
  readonly trustedRsa: KeyMaterial;
  readonly trustedEc: KeyMaterial;
  /** URL for `jwksUri`: the issuer's keys plus the trusted ones. */
  readonly jwksUri: string;
  /** Hits on the JWKS mirror. */
  readonly jwksHits: readonly string[];
  /** A server that must never be contacted (jku/x5u targets). */
  readonly canary: CountingServer;
  /** Claims as the issuer mints them, for hand-written payloads. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Signs `header.payload` exactly as given (raw JSON text) with a trusted key. */
  signRaw(headerJson: string, payloadJson: string | Buffer, key?: 'rsa' | 'ec'): string;
  /** Signs an arbitrary signing input with an RSA key (RS256). */
  rs256(signingInput: string, key: KeyObject): string;
  /** Every secret that must never show up anywhere: key material, client secret. */
  readonly keySecrets: readonly string[];
  close(): Promise<void>;
}

export const TRUSTED_RSA_KID = 'trusted-rsa';
export const TRUSTED_EC_KID = 'trusted-ec';

export async function createAttackContext(): Promise<AttackContext> {
  const issuer = await createTestIssuer({ keys: await testKeys() });
  const published = (await (await fetch(issuer.jwksUri)).json()) as { keys: (JWK & { kid: string; n: string })[] };
  const issuerJwk = published.keys[0]!;
  const issuerPem = createPublicKey({ key: issuerJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const attackerRsa = keyMaterialFor('attacker-rsa', 'rsa');
  const attackerEc = keyMaterialFor('attacker-ec', 'ec');
  const trustedRsa = keyMaterialFor('trusted-rsa', 'rsa');
  const trustedEc = keyMaterialFor('trusted-ec', 'ec');
  const mirrorBody = JSON.stringify({
    keys: [
      ...published.keys,
      { ...trustedRsa.publicJwk, kid: TRUSTED_RSA_KID, alg: 'RS256', use: 'sig' },
      { ...trustedEc.publicJwk, kid: TRUSTED_EC_KID, alg: 'ES256', use: 'sig' },
    ],
  });
  const mirror = await countingServer(() => ({ status: 200, body: mirrorBody }));
  const canary = await countingServer(() => ({ status: 200, body: JSON.stringify({ keys: [attackerRsa.publicJwk] }) }));

  const rs256 = (signingInput: string, key: KeyObject): string => createSign('sha256').update(signingInput).sign(key).toString('base64url');
  const signRaw = (headerJson: string, payloadJson: string | Buffer, key: 'rsa' | 'ec' = 'rsa'): string => {
    const input = `${b64(headerJson)}.${b64(payloadJson)}`;
    const signature =
      key === 'rsa'
        ? rs256(input, trustedRsa.privateKey)
        : cryptoSign('sha256', Buffer.from(input), { key: trustedEc.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${input}.${signature}`;
  };
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: issuer.issuer,
      sub: '200000000000000001',
      aud: ['test-project', 'test-api-client'],
      client_id: 'service-user-client',
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      iat: now,
      nbf: now,
      exp: now + 300,
      'urn:zitadel:iam:user:resourceowner:id': '100000000000000001',
      ...overrides,
    };
  };
  const keySecrets: string[] = [issuerJwk.n, issuer.introspectionClient.clientSecret];
  for (const material of [attackerRsa, attackerEc, trustedRsa, trustedEc]) {
    for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      const value = (material.privateJwk as Record<string, unknown>)[field];
      if (typeof value === 'string') keySecrets.push(value);
    }
    const n = (material.publicJwk as Record<string, unknown>).n;
    if (typeof n === 'string') keySecrets.push(n);
    // A distinctive line from the middle of each PEM (the first lines are common prefixes).
    keySecrets.push(material.privatePem.split('\n')[5]!, material.publicPem.split('\n')[3]!);
  }
  keySecrets.push(issuerPem.split('\n')[3]!);

  return {
    issuer,
    issuerJwk,
    issuerPem,
    attackerRsa,
    attackerEc,
    trustedRsa,
    trustedEc,
    jwksUri: `${mirror.url}/keys`,
    jwksHits: mirror.hits,
    canary,
    claims,
    signRaw,
    rs256,
    keySecrets,
    async close() {
      await Promise.all([mirror.close(), canary.close(), issuer.close()]);
    },
  };
}
