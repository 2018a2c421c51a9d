import type { AuditSink } from './audit.js';
import { MemoryDpopReplayCache } from './dpop.js';
import type { DpopReplayCache } from './dpop.js';
import { resolveResourceMetadata } from './resource-metadata.js';
import type { ResourceMetadata, ResourceMetadataOptions } from './resource-metadata.js';
import type { BearerMethod, BearerRequest } from './bearer.js';
import { ResourceServerOptionsError } from './errors.js';
import type { FetchLike } from './http.js';
import type { CachedIntrospection } from './introspection/introspector.js';
import { resolveIntrospectionLimits } from './introspection/introspection-options.js';
import type { IntrospectionLimitOptions, ResolvedIntrospectionLimits } from './introspection/introspection-options.js';
import type { ApplicationKeyFile } from './introspection/key-file.js';
import { loadApplicationKey } from './introspection/key-file.js';
import type { LoadedApplicationKey } from './introspection/key-file.js';
import type { Logger } from './logger.js';
import { consoleLogger } from './logger.js';
import type { ClaimsPreset } from './principal.js';
import type { RevocationList } from './revocation.js';
import type { TokenCache } from './token-cache.js';
import { isAllowedEndpoint } from './url.js';

/** Asymmetric JWS algorithms this package accepts. HS* and `none` are never accepted. */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

const ASYMMETRIC: readonly JwsAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** How the API authenticates itself to the introspection endpoint. */
export type IntrospectionAuth =
  | { readonly type: 'client_secret_basic'; readonly clientId: string; readonly clientSecret: string }
  | {
      readonly type: 'private_key_jwt';
      /** A ZITADEL API-application key file: the parsed JSON, or a path to it. */
      readonly keyFile: ApplicationKeyFile | string;
    };

/** Enables opaque tokens and PATs (RFC 7662 introspection). */
export interface IntrospectionOptions extends IntrospectionLimitOptions {
  /** Client authentication (what the API application in the ZITADEL console is set to). */
  readonly auth: IntrospectionAuth;
  /** Introspection endpoint; default from discovery (`introspection_endpoint`). */
  readonly endpoint?: string;
  /** Longest reuse of an active answer, ms (never past `exp`). Default 30,000; at most 300,000. */
  readonly maxTtl?: number;
  /** Reuse of an inactive answer, ms. Default 5,000. ZITADEL answers `{"active": false}` also for its own internal errors: keep this short. */
  readonly inactiveTtl?: number;
  /** Most cached answers (memory cache). Default 10,000. */
  readonly cacheMax?: number;
  /** A cache to use instead of the memory one (e.g. Redis). */
  readonly cache?: TokenCache<CachedIntrospection>;
}

/** DPoP settings. */
export interface DpopOptions {
  /** Accept only DPoP-bound tokens. Default false. */
  readonly required?: boolean;
  /** Algorithms accepted for proofs. Default: ES256, ES384, ES512, PS256, RS256, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Seconds a proof stays acceptable after its `iat`. Default 60, at most 600. */
  readonly maxAge?: number;
  /** Proof ids remembered against replay (memory cache). Default 100,000. */
  readonly replayCacheMax?: number;
  /** A shared replay cache for several instances (e.g. `RedisDpopReplayCache`). Default: this process's memory. */
  readonly replayCache?: DpopReplayCache;
}

/** DPoP settings after validation. */
export interface ResolvedDpop {
  readonly required: boolean;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly maxAge: number;
  readonly replayCache: DpopReplayCache;
}

/** One trusted issuer, for `issuers: [...]` (several issuers, e.g. per-tenant ZITADEL instances). */
export interface IssuerOptions {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly projectId?: string;
  readonly jwksUri?: string;
  readonly claims?: ClaimsPreset;
  readonly rolesClaim?: string;
  readonly introspection?: IntrospectionOptions;
}

/**
 * Options of {@link createResourceServer}. `issuer` and `audience` are required — or
 * `issuers`, a list of trusted issuers each with its own audience, keys and introspection.
 */
export interface ResourceServerOptions {
  /** The issuer URL exactly as in tokens' `iss`, e.g. `https://acme.zitadel.cloud`. `https:` only (http on loopback for development). */
  readonly issuer?: string;
  /** Accepted audiences: the ZITADEL project id and/or the API's client id. A token must name at least one. */
  readonly audience?: string | readonly string[];
  /**
   * Several trusted issuers (an allow-list), instead of `issuer`/`audience`/`projectId`/
   * `jwksUri`/`claims`/`rolesClaim`/`introspection`. A JWT goes to the issuer named by its
   * `iss` — only if listed; an opaque token is introspected by each issuer that has
   * `introspection`, in list order, until one says active.
   */
  readonly issuers?: readonly IssuerOptions[];
  /**
   * With several issuers that introspect (`issuers`): which one an opaque token belongs to —
   * opaque tokens carry no issuer. A function of the request and the token (a tenant header,
   * the Host, a token prefix…) that returns the issuer URL exactly as listed, or `undefined`
   * (the token is refused, 401); or `'each'`: ask every introspecting issuer in list order
   * until one says active — then every opaque token, junk included, reaches every issuer with
   * this API's credentials, and tenant B's tokens reach tenant A's issuer (opt-in; avoid
   * across tenants). Required when more than one issuer has `introspection`.
   */
  readonly opaqueTokenIssuer?: OpaqueTokenIssuerSelector | 'each';
  /**
   * ZITADEL project id: roles are read from `urn:zitadel:iam:org:project:{projectId}:roles`
   * only. Without it, roles are read from the generic claim and from
   * `urn:zitadel:iam:org:project:{id}:roles` for every `audience` value (ZITADEL writes only
   * the project-specific claim for service users).
   */
  readonly projectId?: string;
  /** JWKS URL; default from discovery (`jwks_uri`). */
  readonly jwksUri?: string;
  /** Accepted JWS algorithms. Default RS/PS/ES 256-512 and EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Clock skew tolerated for `exp`, `nbf`, `iat`, in seconds. Default 5, at most 60. */
  readonly clockTolerance?: number;
  /** Claim layout: `'zitadel'` (default) or `'generic'` (`scope`/`scp`, `rolesClaim`). */
  readonly claims?: ClaimsPreset;
  /** Generic preset: claim (dot path) holding role names, e.g. `'roles'` or `'realm_access.roles'`. */
  readonly rolesClaim?: string;
  /** Where tokens may be sent. Default `['header']`; `'query'` and `'body'` are opt-in (RFC 6750 §2.2-2.3). */
  readonly bearerMethods?: readonly BearerMethod[];
  /** `realm` of the `WWW-Authenticate` challenge. Default `'api'`. */
  readonly realm?: string;
  /**
   * DPoP (RFC 9449), off by default (ZITADEL does not issue DPoP-bound tokens yet). When set,
   * `Authorization: DPoP <token>` with a `DPoP` proof is accepted for tokens bound with
   * `cnf.jkt`; `required: true` refuses plain bearer tokens. A DPoP-bound token presented as
   * a bearer token is always refused.
   */
  readonly dpop?: DpopOptions;
  /**
   * RFC 9728 protected-resource metadata: served at `/.well-known/oauth-protected-resource`
   * (Nest: by the module; Express: `resourceMetadata(rs)`), and named in every challenge as
   * `resource_metadata="…"`.
   */
  readonly resourceMetadata?: ResourceMetadataOptions;
  /** Timeout of every call to the issuer, ms. Default 3,000. */
  readonly timeout?: number;
  /**
   * JWKS refresh: `cooldown` (least ms between fetches, default 5,000) and `maxAge` (ms,
   * default 300,000: an upper bound; the issuer's `Cache-Control: max-age` may shorten it,
   * never below the cooldown).
   */
  readonly jwks?: { readonly cooldown?: number; readonly maxAge?: number };
  /** Opaque tokens and PATs; without it only JWTs are accepted. */
  readonly introspection?: IntrospectionOptions;
  /** Most verified JWTs kept (by SHA-256, until `exp`). Default 10,000; 0 turns the cache off. */
  readonly jwtCacheMax?: number;
  /** A revocation list checked on every request (cache hits too). */
  readonly revocation?: RevocationList;
  /**
   * When the revocation list cannot be read: `'fail-open'` (default) goes on with a warning,
   * except on routes that demand an active token, which answer 503; `'fail-closed'` answers
   * 503 everywhere.
   */
  readonly revocationUnavailable?: 'fail-open' | 'fail-closed';
  /**
   * Receives one {@link AuditEvent} per decision (allow, deny, unavailable); never the
   * token. `false` switches auditing off. Default: none here; the Nest module logs events
   * with Nest's `Logger`, Express' `protect(options)` writes JSON lines to stdout.
   */
  readonly audit?: AuditSink | false;
  /**
   * Which allow events reach `audit`: `true` (default) all, `false` none, or a sampling
   * rate from 0 to 1. Refusals and 503s are always emitted.
   */
  readonly auditAllowed?: boolean | number;
  /** Where operator-facing problems are reported. Default: console.warn/error. */
  readonly logger?: Logger;
  /** `fetch` used for every issuer call. Default: the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Current time in ms; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Picks the issuer of an opaque token: its URL as listed in `issuers`, or `undefined` to refuse the token. */
export type OpaqueTokenIssuerSelector = (context: { readonly request: BearerRequest; readonly token: string }) => string | undefined;

/** One trusted issuer after validation. */
export interface ResolvedIssuer {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly projectId: string | undefined;
  readonly jwksUri: string | undefined;
  readonly claims: ClaimsPreset;
  readonly rolesClaim: string | undefined;
  readonly introspection: ResolvedIntrospection | undefined;
}

/** Options after validation, with every default filled in. Frozen. */
export interface ResolvedOptions {
  /** Every trusted issuer (one unless `issuers` was given). The fields below repeat the first. */
  readonly issuers: readonly ResolvedIssuer[];
  /** Set when more than one issuer introspects. */
  readonly opaqueTokenIssuer: OpaqueTokenIssuerSelector | 'each' | undefined;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly projectId: string | undefined;
  readonly jwksUri: string | undefined;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly clockTolerance: number;
  readonly claims: ClaimsPreset;
  readonly rolesClaim: string | undefined;
  readonly bearerMethods: readonly BearerMethod[];
  readonly realm: string;
  readonly resourceMetadata: ResourceMetadata | undefined;
  readonly dpop: ResolvedDpop | undefined;
  readonly timeout: number;
  readonly jwksCooldown: number;
  readonly jwksMaxAge: number;
  readonly introspection: ResolvedIntrospection | undefined;
  readonly jwtCacheMax: number;
  readonly revocation: RevocationList | undefined;
  readonly revocationUnavailable: 'fail-open' | 'fail-closed';
  readonly audit: AuditSink | undefined;
  /** Share of allow events emitted, 0 to 1. */
  readonly auditAllowedRate: number;
  readonly logger: Logger;
  readonly fetch: FetchLike;
  readonly now: () => number;
}

export interface ResolvedIntrospection extends ResolvedIntrospectionLimits {
  readonly auth:
    | { readonly type: 'client_secret_basic'; readonly clientId: string; readonly clientSecret: string }
    | { readonly type: 'private_key_jwt'; readonly key: LoadedApplicationKey };
  readonly endpoint: string | undefined;
  readonly maxTtl: number;
  readonly inactiveTtl: number;
  readonly cacheMax: number;
  readonly cache: TokenCache<CachedIntrospection> | undefined;
}

function fail(message: string): never {
  throw new ResourceServerOptionsError(message);
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`"${name}" option must be a non-empty string`);
  return value;
}

function integerInRange(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`"${name}" option must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0]!;
  if (!allowed.includes(value as T)) fail(`"${name}" option must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return value as T;
}

function endpoint(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  const url = nonEmptyString(value, name);
  if (!isAllowedEndpoint(url)) fail(`"${name}" option must be an https: URL (http: only on 127.0.0.1 or localhost)`);
  return url;
}

/**
 * Validates options once, at construction, and fills in defaults. Every message names the
 * option and says what to fix.
 */
export function resolveOptions(options: ResourceServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('options must be an object with at least "issuer" and "audience"');
  const issuers = resolveIssuers(options);
  const first = issuers[0]!;
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail('"algorithms" option must be a non-empty list');
  for (const alg of algorithms) {
    if (!ASYMMETRIC.includes(alg)) {
      fail(`"algorithms" option contains ${JSON.stringify(alg)}: only asymmetric algorithms (${ASYMMETRIC.join(', ')}) are allowed`);
    }
  }
  const bearerMethods = options.bearerMethods ?? ['header'];
  if (!Array.isArray(bearerMethods) || bearerMethods.length === 0 || bearerMethods.some((m) => !['header', 'query', 'body'].includes(m))) {
    fail('"bearerMethods" option must be a non-empty list of "header", "query", "body"');
  }
  if (options.logger !== undefined && (typeof options.logger.warn !== 'function' || typeof options.logger.error !== 'function')) {
    fail('"logger" option must have warn() and error() methods');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('"fetch" option must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') fail('"now" option must be a function');
  if (options.audit !== undefined && options.audit !== false && typeof options.audit !== 'function') {
    fail('"audit" option must be a function (event) => void, or false');
  }
  const allowed = options.auditAllowed ?? true;
  if (typeof allowed !== 'boolean' && (typeof allowed !== 'number' || !(allowed >= 0 && allowed <= 1))) {
    fail('"auditAllowed" option must be true, false or a sampling rate from 0 to 1');
  }
  const dpop = resolveDpop(options.dpop);
  const fetchFn = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));

  return Object.freeze({
    issuers,
    opaqueTokenIssuer: resolveOpaqueTokenIssuer(options.opaqueTokenIssuer, issuers),
    ...first,
    algorithms: Object.freeze([...algorithms]),
    clockTolerance: integerInRange(options.clockTolerance, 'clockTolerance', 5, 0, 60),
    bearerMethods: Object.freeze([...bearerMethods]),
    realm: options.realm === undefined ? 'api' : nonEmptyString(options.realm, 'realm'),
    resourceMetadata:
      options.resourceMetadata === undefined
        ? undefined
        : resolveResourceMetadata(options.resourceMetadata, issuers.map((i) => i.issuer), bearerMethods, dpop),
    dpop,
    timeout: integerInRange(options.timeout, 'timeout', 3000, 100, 60_000),
    jwksCooldown: integerInRange(options.jwks?.cooldown, 'jwks.cooldown', 5000, 0, 300_000),
    jwksMaxAge: integerInRange(options.jwks?.maxAge, 'jwks.maxAge', 300_000, 1000, 86_400_000),
    jwtCacheMax: integerInRange(options.jwtCacheMax, 'jwtCacheMax', 10_000, 0, 10_000_000),
    revocation: options.revocation,
    revocationUnavailable: oneOf(options.revocationUnavailable, 'revocationUnavailable', ['fail-open', 'fail-closed'] as const),
    audit: options.audit === false ? undefined : options.audit,
    auditAllowedRate: allowed === true ? 1 : allowed === false ? 0 : allowed,
    logger: options.logger ?? consoleLogger,
    fetch: fetchFn,
    now: options.now ?? Date.now,
  });
}

function resolveDpop(options: DpopOptions | undefined): ResolvedDpop | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') fail('"dpop" option must be an object, e.g. { required: false }');
  const algorithms = options.algorithms ?? (['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'] as const);
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((alg) => !ASYMMETRIC.includes(alg))) {
    fail('"dpop.algorithms" option must be a non-empty list of asymmetric algorithms');
  }
  if (options.required !== undefined && typeof options.required !== 'boolean') fail('"dpop.required" option must be a boolean');
  if (options.replayCache !== undefined && typeof options.replayCache?.remember !== 'function') fail('"dpop.replayCache" option must have a remember(key, ttlMs) method');
  return Object.freeze({
    required: options.required === true,
    algorithms: Object.freeze([...algorithms]),
    maxAge: integerInRange(options.maxAge, 'dpop.maxAge', 60, 1, 600),
    replayCache: options.replayCache ?? new MemoryDpopReplayCache(integerInRange(options.replayCacheMax, 'dpop.replayCacheMax', 100_000, 100, 10_000_000)),
  });
}

function resolveOpaqueTokenIssuer(value: unknown, issuers: readonly ResolvedIssuer[]): OpaqueTokenIssuerSelector | 'each' | undefined {
  const introspecting = issuers.filter((issuer) => issuer.introspection !== undefined).length;
  if (value === undefined) {
    if (introspecting > 1) {
      fail(
        '"opaqueTokenIssuer" option is required when several issuers have "introspection": opaque tokens carry no issuer. ' +
          'Set a function ({ request, token }) => issuer URL (e.g. by a tenant header), or "each" to ask every issuer in turn (each then sees every opaque token)',
      );
    }
    return undefined;
  }
  if (value !== 'each' && typeof value !== 'function') fail('"opaqueTokenIssuer" option must be a function ({ request, token }) => issuer URL, or "each"');
  if (introspecting < 2) fail('"opaqueTokenIssuer" option is only for several issuers with "introspection" (set in "issuers")');
  return value as OpaqueTokenIssuerSelector | 'each';
}

const PER_ISSUER = ['issuer', 'audience', 'projectId', 'jwksUri', 'claims', 'rolesClaim', 'introspection'] as const;

function resolveIssuers(options: ResourceServerOptions): readonly ResolvedIssuer[] {
  if (options.issuers === undefined) return Object.freeze([resolveIssuer(options as IssuerOptions, '')]);
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) fail('"issuers" option must be a non-empty list of issuers');
  for (const name of PER_ISSUER) {
    if (options[name] !== undefined) fail(`"${name}" option cannot be combined with "issuers": set it on each issuer`);
  }
  const resolved = options.issuers.map((issuer, index) => {
    if (issuer === null || typeof issuer !== 'object') fail(`"issuers[${index}]" must be an object with "issuer" and "audience"`);
    return resolveIssuer(issuer, `issuers[${index}].`);
  });
  const seen = new Set<string>();
  for (const { issuer } of resolved) {
    if (seen.has(issuer)) fail(`"issuers" option lists ${issuer} twice`);
    seen.add(issuer);
  }
  return Object.freeze(resolved);
}

function resolveIssuer(options: IssuerOptions, prefix: string): ResolvedIssuer {
  const issuer = nonEmptyString(options.issuer, `${prefix}issuer`);
  if (!isAllowedEndpoint(issuer)) {
    fail(`"${prefix}issuer" option must be an https: URL (http: is allowed only for 127.0.0.1 or localhost, for development)`);
  }
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
    fail(`"${prefix}audience" option must be a non-empty string or a non-empty list of strings (the project id and/or the API client id)`);
  }
  const claims = options.claims ?? 'zitadel';
  if (claims !== 'zitadel' && claims !== 'generic') fail(`"${prefix}claims" option must be "zitadel" or "generic"`);
  if (options.rolesClaim !== undefined) nonEmptyString(options.rolesClaim, `${prefix}rolesClaim`);
  if (options.projectId !== undefined) nonEmptyString(options.projectId, `${prefix}projectId`);
  return Object.freeze({
    issuer,
    audience: Object.freeze([...audience]),
    projectId: options.projectId,
    jwksUri: endpoint(options.jwksUri, `${prefix}jwksUri`),
    claims,
    rolesClaim: options.rolesClaim,
    introspection: resolveIntrospection(options.introspection, prefix),
  });
}

function resolveIntrospection(options: IntrospectionOptions | undefined, prefix: string): ResolvedIntrospection | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || options.auth === null || typeof options.auth !== 'object') {
    fail(`"${prefix}introspection.auth" option is required: { type: "client_secret_basic", clientId, clientSecret } or { type: "private_key_jwt", keyFile }`);
  }
  const { auth } = options;
  let resolvedAuth: ResolvedIntrospection['auth'];
  if (auth.type === 'client_secret_basic') {
    resolvedAuth = {
      type: 'client_secret_basic',
      clientId: nonEmptyString(auth.clientId, `${prefix}introspection.auth.clientId`),
      clientSecret: nonEmptyString(auth.clientSecret, `${prefix}introspection.auth.clientSecret`),
    };
  } else if (auth.type === 'private_key_jwt') {
    if (auth.keyFile === undefined) fail(`"${prefix}introspection.auth.keyFile" option is required for private_key_jwt (the API application key JSON, or its path)`);
    resolvedAuth = { type: 'private_key_jwt', key: loadApplicationKey(auth.keyFile, `${prefix}introspection.auth.keyFile`) };
  } else {
    fail(`"${prefix}introspection.auth.type" option must be "client_secret_basic" or "private_key_jwt"`);
  }
  return Object.freeze({
    auth: resolvedAuth,
    endpoint: endpoint(options.endpoint, `${prefix}introspection.endpoint`),
    maxTtl: integerInRange(options.maxTtl, `${prefix}introspection.maxTtl`, 30_000, 0, 300_000),
    inactiveTtl: integerInRange(options.inactiveTtl, `${prefix}introspection.inactiveTtl`, 5000, 0, 60_000),
    cacheMax: integerInRange(options.cacheMax, `${prefix}introspection.cacheMax`, 10_000, 1, 10_000_000),
    cache: options.cache,
    ...resolveIntrospectionLimits(options, `${prefix}introspection.`),
  });
}
