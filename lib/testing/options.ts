/**
 * Options of {@link createTestIssuer}, checked once.
 */
import { KeyObject } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { checkIssuerKeyAlgorithm } from './key-ring.js';

/** Client credentials the introspection endpoint accepts with `client_secret_basic`. */
export interface TestIssuerClientSecret {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * A public key the introspection endpoint accepts `private_key_jwt` client assertions for
 * (ZITADEL API application key: assertion header `{ alg: 'RS256', kid: keyId }`, payload
 * `{ iss: clientId, sub: clientId, aud: issuer, iat, exp }`).
 */
export interface TestIssuerClientKey {
  readonly clientId: string;
  readonly keyId: string;
  readonly publicKey: CryptoKey | KeyObject;
}

/** Options of {@link createTestIssuer}. Every field is optional. */
export interface TestIssuerOptions {
  /** Port on 127.0.0.1, default 0 (random). */
  port?: number;
  /**
   * Signing algorithm of the initial key: default `'RS256'`. RS256/384/512, PS256/384/512,
   * ES256/384/512, EdDSA (Ed25519; `'Ed25519'` also accepted).
   */
  alg?: string;
  /** Default audience put into minted tokens, default `['test-project', 'test-api-client']`. */
  audience?: string | string[];
  /** Project id used for ZITADEL role claims, default `'test-project'`. */
  projectId?: string;
  /**
   * Introspection client credentials accepted with `client_secret_basic`; default
   * `{ clientId: 'test-api-client', clientSecret: 'test-secret' }`.
   */
  introspectionClient?: { clientId: string; clientSecret: string };
  /** Also accept `private_key_jwt` client assertions signed by this key. */
  introspectionClientKey?: { clientId: string; keyId: string; publicKey: CryptoKey | KeyObject };
  /**
   * Clock of the issuer in milliseconds (minted `iat`/`nbf`/`exp`, expiry checks of
   * introspection), default `Date.now`. Handy with frozen time in tests.
   */
  now?: () => number;
}

/** {@link TestIssuerOptions} with every default filled in; frozen. */
export interface ResolvedTestIssuerOptions {
  readonly port: number;
  readonly alg: string;
  readonly audience: string | readonly string[];
  readonly projectId: string;
  readonly introspectionClient: TestIssuerClientSecret;
  readonly introspectionClientKey: TestIssuerClientKey | undefined;
  readonly now: () => number;
}

/** Default audience of minted tokens. */
export const DEFAULT_AUDIENCE: readonly string[] = Object.freeze(['test-project', 'test-api-client']);
/** Default project id. */
export const DEFAULT_PROJECT_ID = 'test-project';
/** Default introspection client. */
export const DEFAULT_INTROSPECTION_CLIENT: TestIssuerClientSecret = Object.freeze({
  clientId: 'test-api-client',
  clientSecret: 'test-secret',
});

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function checkPort(port: unknown): number {
  if (port === undefined) return 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('"port" option must be an integer between 0 and 65535');
  }
  return port;
}

function checkAudience(audience: unknown): string | readonly string[] {
  if (audience === undefined) return DEFAULT_AUDIENCE;
  if (isNonEmptyString(audience)) return audience;
  if (Array.isArray(audience) && audience.length > 0 && audience.every(isNonEmptyString)) {
    return Object.freeze([...audience]);
  }
  throw new TypeError('"audience" option must be a non-empty string or a non-empty array of non-empty strings');
}

function checkClient(client: unknown): TestIssuerClientSecret {
  if (client === undefined) return DEFAULT_INTROSPECTION_CLIENT;
  const candidate = client as Partial<TestIssuerClientSecret> | null;
  if (typeof candidate !== 'object' || candidate === null
    || !isNonEmptyString(candidate.clientId) || !isNonEmptyString(candidate.clientSecret)) {
    throw new TypeError('"introspectionClient" option must be { clientId, clientSecret } with non-empty strings');
  }
  return Object.freeze({ clientId: candidate.clientId, clientSecret: candidate.clientSecret });
}

function checkClientKey(clientKey: unknown): TestIssuerClientKey | undefined {
  if (clientKey === undefined) return undefined;
  const candidate = clientKey as Partial<TestIssuerClientKey> | null;
  const publicKey = candidate?.publicKey as unknown;
  const keyLike = publicKey instanceof KeyObject
    || (typeof publicKey === 'object' && publicKey !== null && 'algorithm' in publicKey && 'type' in publicKey);
  if (typeof candidate !== 'object' || candidate === null
    || !isNonEmptyString(candidate.clientId) || !isNonEmptyString(candidate.keyId) || !keyLike) {
    throw new TypeError('"introspectionClientKey" option must be { clientId, keyId, publicKey } with a CryptoKey or KeyObject');
  }
  return Object.freeze({ clientId: candidate.clientId, keyId: candidate.keyId, publicKey: candidate.publicKey as CryptoKey | KeyObject });
}

/** Checks `options` and fills in defaults; throws a `TypeError` naming the bad option. */
export function resolveTestIssuerOptions(options: TestIssuerOptions = {}): ResolvedTestIssuerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTestIssuer options must be an object');
  }
  const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
  if (!isNonEmptyString(projectId)) {
    throw new TypeError('"projectId" option must be a non-empty string');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError('"now" option must be a function returning milliseconds');
  }
  return Object.freeze({
    port: checkPort(options.port),
    alg: checkIssuerKeyAlgorithm(options.alg ?? 'RS256', 'alg'),
    audience: checkAudience(options.audience),
    projectId,
    introspectionClient: checkClient(options.introspectionClient),
    introspectionClientKey: checkClientKey(options.introspectionClientKey),
    now,
  });
}
