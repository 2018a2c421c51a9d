/**
 * Options of {@link createTestIssuer}, checked once.
 */
import { KeyObject } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { checkIssuerKeyAlgorithm, unwrapTestKeys } from './key-ring.js';
import type { IssuerKey, TestIssuerKeys } from './key-ring.js';
import type { PatAudience } from './zitadel-claims.js';
import type { OpaqueTokenFormat } from './zitadel.js';

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
  /**
   * Reuse a signing key instead of generating one (RSA generation costs about 200 ms per
   * issuer): a key from {@link createTestKeys}, or `'shared'` for one key per algorithm and
   * process, generated on first use. Issuers with the same key verify each other's
   * signatures (their `iss` still differs). `rotateKeys()` adds keys to this issuer only.
   * Default: a fresh key for this issuer.
   */
  keys?: TestIssuerKeys | 'shared';
  /**
   * Default `aud` of minted tokens: ZITADEL's audience for a service user that asked for
   * the project audience scope, `[projectId]` (`internal/domain/token.go`
   * `AddAudScopeToAudience`). Always minted as a list.
   */
  audience?: string | string[];
  /** The project of the API (its roles, the introspection client's project), default `'test-project'`. */
  projectId?: string;
  /**
   * Role keys defined in the project; a PAT's introspection `scope` lists every one of them
   * (`assertClientScopesForPAT`). Keys granted to a service user are added automatically.
   */
  projectRoles?: string[];
  /**
   * The introspection `aud` of a PAT: `'client-and-project'` (`[apiClientId, projectId]`,
   * current ZITADEL) or `'client'` (`[apiClientId]`, older releases), see
   * `internal/api/oidc/access_token.go` `assertClientScopesForPAT`. Default `'client-and-project'`.
   */
  patAudience?: PatAudience;
  /**
   * Format of opaque access tokens: `'aes'` (104 base64url characters, no dots; zitadel/oidc
   * before v3.47) or `'jwe'` (a compact JWE with four dots; zitadel/oidc v3.47 and the newest
   * ZITADEL source). Default `'aes'`. PATs are always 71 base64url characters.
   */
  opaqueTokenFormat?: OpaqueTokenFormat;
  /**
   * How the introspection endpoint answers bad client credentials: `'zitadel'` (400
   * `unauthorized_client`, zitadel/oidc `pkg/op/error.go` `WriteError`) or `'rfc6749'` (401
   * `invalid_client` with `WWW-Authenticate: Basic`, for testing other issuers' shape).
   * Default `'zitadel'`.
   */
  clientAuthErrors?: 'zitadel' | 'rfc6749';
  /**
   * `false` answers active for tokens whose `aud` names neither the introspection client nor
   * its project, which ZITADEL never does (`validateIntrospectionAudience`); for testing a
   * resource server's own audience check. Default `true`.
   */
  introspectionAudienceCheck?: boolean;
  /**
   * `Cache-Control` of the JWKS: default `'max-age=300, must-revalidate'` (ZITADEL's default,
   * `internal/api/oidc/key.go` `Keys`, `OIDC.JWKSCacheControlMaxAge`); `null` sends none.
   */
  jwksCacheControl?: string | null;
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
  /** `undefined`: generate a key; `'shared'`: the process-wide key; else this key. */
  readonly keys: IssuerKey | 'shared' | undefined;
  readonly audience: readonly string[];
  readonly projectId: string;
  readonly projectRoles: readonly string[];
  readonly patAudience: PatAudience;
  readonly opaqueTokenFormat: OpaqueTokenFormat;
  readonly clientAuthErrors: 'zitadel' | 'rfc6749';
  readonly introspectionAudienceCheck: boolean;
  readonly jwksCacheControl: string | null;
  readonly introspectionClient: TestIssuerClientSecret;
  readonly introspectionClientKey: TestIssuerClientKey | undefined;
  readonly now: () => number;
}

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

function checkAudience(audience: unknown, projectId: string): readonly string[] {
  if (audience === undefined) return Object.freeze([projectId]);
  if (isNonEmptyString(audience)) return Object.freeze([audience]);
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
    ...checkKeys(options.keys, options.alg),
    audience: checkAudience(options.audience, projectId),
    projectId,
    projectRoles: checkRoles(options.projectRoles),
    patAudience: oneOf(options.patAudience, 'patAudience', ['client-and-project', 'client'] as const),
    opaqueTokenFormat: oneOf(options.opaqueTokenFormat, 'opaqueTokenFormat', ['aes', 'jwe'] as const),
    clientAuthErrors: oneOf(options.clientAuthErrors, 'clientAuthErrors', ['zitadel', 'rfc6749'] as const),
    introspectionAudienceCheck: checkBoolean(options.introspectionAudienceCheck, 'introspectionAudienceCheck', true),
    jwksCacheControl: checkCacheControl(options.jwksCacheControl),
    introspectionClient: checkClient(options.introspectionClient),
    introspectionClientKey: checkClientKey(options.introspectionClientKey),
    now,
  });
}

function checkKeys(keys: unknown, alg: unknown): { alg: string; keys: IssuerKey | 'shared' | undefined } {
  if (keys === undefined) return { alg: checkIssuerKeyAlgorithm(alg ?? 'RS256', 'alg'), keys: undefined };
  if (keys === 'shared') return { alg: checkIssuerKeyAlgorithm(alg ?? 'RS256', 'alg'), keys: 'shared' };
  const key = unwrapTestKeys(keys);
  if (key === undefined) {
    throw new TypeError('"keys" option must be the result of createTestKeys() or importTestKeys(), or \'shared\'');
  }
  if (alg !== undefined && alg !== key.alg) {
    throw new TypeError(`"alg" option (${JSON.stringify(alg)}) does not match the "keys" option's algorithm ${key.alg}; leave "alg" out`);
  }
  return { alg: key.alg, keys: key };
}

function checkRoles(roles: unknown): readonly string[] {
  if (roles === undefined) return Object.freeze([]);
  if (!Array.isArray(roles) || !roles.every((role) => isNonEmptyString(role) && !/\s/.test(role))) {
    throw new TypeError('"projectRoles" option must be an array of role keys (non-empty strings without spaces)');
  }
  return Object.freeze([...(roles as string[])]);
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0] as T;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`"${name}" option must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function checkBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" option must be a boolean`);
  return value;
}

/** ZITADEL's default JWKS `Cache-Control`. */
export const DEFAULT_JWKS_CACHE_CONTROL = 'max-age=300, must-revalidate';

function checkCacheControl(value: unknown): string | null {
  if (value === undefined) return DEFAULT_JWKS_CACHE_CONTROL;
  if (value === null) return null;
  if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value)) {
    throw new TypeError('"jwksCacheControl" option must be a non-empty header value (no line breaks) or null');
  }
  return value;
}
