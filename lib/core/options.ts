import type { AuditSink } from './audit.js';
import { MemoryDpopReplayCache } from './dpop.js';
import type { DpopReplayCache } from './dpop.js';
import { resolveResourceMetadata } from './resource-metadata.js';
import type { ResourceMetadata, ResourceMetadataOptions } from './resource-metadata.js';
import type { BearerMethod, BearerRequest } from './bearer.js';
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
import { checkKeys, describeValue, fail, integerOption, objectOption, stringOption } from './option-checks.js';
import { resolveHealthOptions } from './operations-options.js';
import type { HealthOptions, ResolvedHealthOptions } from './operations-options.js';

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
  /**
   * The origins clients call this API at, e.g. `['https://api.acme.com']`: a proof's `htu`
   * must name one of them (the request's `Host` only picks which, and must be one of
   * them). Default: the origin of `resourceMetadata.resource`; one of the two is required.
   */
  readonly origins?: readonly string[];
}

/** DPoP settings after validation. */
export interface ResolvedDpop {
  readonly required: boolean;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly maxAge: number;
  readonly replayCache: DpopReplayCache;
  /** Each as `URL.origin` writes it (`https://api.acme.com`, default port dropped). */
  readonly origins: readonly string[];
  /** The `logger` option: where the verifier reports requests for a host not in `origins`. */
  readonly logger: Logger;
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
  /**
   * The issuer URL exactly as in tokens' `iss` (compared as a string, OpenID Connect
   * Discovery 1.0 §4.3), e.g. `https://acme.zitadel.cloud`: no query or fragment; with the
   * ZITADEL preset no trailing slash and a lower-case host. `https:` only (http on
   * loopback for development, elsewhere only with `allowInsecureIssuer`).
   */
  readonly issuer?: string;
  /**
   * Trust issuers at a plain `http:` URL that is not loopback (e.g. `http://zitadel:8080`
   * inside a cluster). Keys, introspection credentials and callers' tokens then cross the
   * network unencrypted: a warning is logged at construction. Default false.
   */
  readonly allowInsecureIssuer?: boolean;
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
  /** `rs.health()` / `rs.ready()`: how long the issuer may fail before health is not ready. */
  readonly health?: HealthOptions;
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
  /** A plain `http:` issuer that is not loopback, accepted by `allowInsecureIssuer`. */
  readonly insecure: boolean;
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
  readonly insecure: boolean;
  readonly allowInsecureIssuer: boolean;
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
  readonly health: ResolvedHealthOptions;
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

/** Every option of {@link ResourceServerOptions}: the compiler refuses a missing or an extra name. */
const TOP_LEVEL_KEYS = Object.keys({
  issuer: true,
  allowInsecureIssuer: true,
  audience: true,
  issuers: true,
  opaqueTokenIssuer: true,
  projectId: true,
  jwksUri: true,
  algorithms: true,
  clockTolerance: true,
  claims: true,
  rolesClaim: true,
  bearerMethods: true,
  realm: true,
  dpop: true,
  resourceMetadata: true,
  timeout: true,
  jwks: true,
  introspection: true,
  jwtCacheMax: true,
  revocation: true,
  revocationUnavailable: true,
  audit: true,
  auditAllowed: true,
  logger: true,
  health: true,
  fetch: true,
  now: true,
} satisfies Record<keyof ResourceServerOptions, true>);

/**
 * Keys that framework adapters read from the same object and pass along: the Nest
 * module's `policy` and `prefetch`. Accepted (and ignored) here.
 */
const ADAPTER_KEYS = ['policy', 'prefetch'];

const ISSUER_KEYS = Object.keys({
  issuer: true,
  audience: true,
  projectId: true,
  jwksUri: true,
  claims: true,
  rolesClaim: true,
  introspection: true,
} satisfies Record<keyof IssuerOptions, true>);

const INTROSPECTION_KEYS = Object.keys({
  auth: true,
  endpoint: true,
  maxTtl: true,
  inactiveTtl: true,
  cacheMax: true,
  cache: true,
  maxConcurrent: true,
  maxNewPerSecond: true,
  clientErrorBackoff: true,
} satisfies Record<keyof IntrospectionOptions, true>);

const DPOP_KEYS = Object.keys({
  required: true,
  algorithms: true,
  maxAge: true,
  replayCacheMax: true,
  replayCache: true,
  origins: true,
} satisfies Record<keyof DpopOptions, true>);

const JWKS_KEYS = ['cooldown', 'maxAge'] as const satisfies readonly (keyof NonNullable<ResourceServerOptions['jwks']>)[];

const AUTH_KEYS = {
  client_secret_basic: ['type', 'clientId', 'clientSecret'],
  private_key_jwt: ['type', 'keyFile'],
} as const;

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0]!;
  if (!allowed.includes(value as T)) fail(`"${name}" option must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${describeValue(value)})`);
  return value as T;
}

function booleanOption(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') fail(`"${name}" option must be true or false (got ${describeValue(value)})`);
  return value;
}

function functionOption(value: unknown, name: string, shape: string): void {
  if (value !== undefined && typeof value !== 'function') fail(`"${name}" option must be a function ${shape} (got ${describeValue(value)})`);
}

/** An object with the named methods (a cache, a list, a logger), or undefined. */
function withMethods<T>(value: T | undefined, name: string, methods: readonly string[], hint: string): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || methods.some((method) => typeof (value as Record<string, unknown>)[method] !== 'function')) {
    fail(`"${name}" option must have ${methods.map((m) => `${m}()`).join(', ')} methods: ${hint} (got ${describeValue(value)})`);
  }
  return value;
}

/**
 * Validates options once, at construction, and fills in defaults. Every message names the
 * option, says what came in and what to fix; a misspelled option is refused with the
 * nearest valid name (`Unknown option "audiance": did you mean "audience"?`).
 */
export function resolveOptions(options: ResourceServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(`options must be an object with at least "issuer" and "audience" (got ${describeValue(options)})`);
  }
  checkKeys(options, [...TOP_LEVEL_KEYS, ...ADAPTER_KEYS]);
  const logger = withMethods(options.logger, 'logger', ['warn', 'error'], 'e.g. console, or your framework\'s logger') ?? consoleLogger;
  functionOption(options.fetch, 'fetch', '(url, init) => Promise<Response>');
  functionOption(options.now, 'now', '() => epoch milliseconds');
  const now = options.now ?? Date.now;
  const allowInsecureIssuer = booleanOption(options.allowInsecureIssuer, 'allowInsecureIssuer');
  const issuers = resolveIssuers(options, allowInsecureIssuer);
  const first = issuers[0]!;
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail(`"algorithms" option must be a non-empty list (got ${describeValue(algorithms)})`);
  for (const alg of algorithms) {
    if (!ASYMMETRIC.includes(alg)) {
      fail(`"algorithms" option contains ${JSON.stringify(alg)}: only asymmetric algorithms (${ASYMMETRIC.join(', ')}) are allowed`);
    }
  }
  const bearerMethods = options.bearerMethods ?? ['header'];
  if (!Array.isArray(bearerMethods) || bearerMethods.length === 0 || bearerMethods.some((m) => !['header', 'query', 'body'].includes(m))) {
    fail(`"bearerMethods" option must be a non-empty list of "header", "query", "body" (got ${Array.isArray(bearerMethods) ? JSON.stringify(bearerMethods) : describeValue(bearerMethods)})`);
  }
  if (options.audit !== undefined && options.audit !== false && typeof options.audit !== 'function') {
    fail(`"audit" option must be a function (event) => void, or false (got ${describeValue(options.audit)})`);
  }
  const allowed = options.auditAllowed ?? true;
  if (typeof allowed !== 'boolean' && (typeof allowed !== 'number' || !(allowed >= 0 && allowed <= 1))) {
    fail(`"auditAllowed" option must be true, false or a sampling rate from 0 to 1 (got ${describeValue(allowed)})`);
  }
  const jwks = options.jwks === undefined ? {} : objectOption(options.jwks, 'jwks', '{ cooldown?, maxAge? }');
  checkKeys(jwks, JWKS_KEYS, 'jwks.');
  const revocation = withMethods(options.revocation, 'revocation', ['isRevoked', 'revoke'], 'a RevocationList such as new MemoryRevocationList()');
  const clockTolerance = integerOption(options.clockTolerance, 'clockTolerance', 5, 0, 60);

  // The resource metadata is checked first: its `resource` is the default DPoP origin.
  const metadataOptions = options.resourceMetadata;
  const checkedMetadata = metadataOptions === undefined ? undefined : resolveResourceMetadata(metadataOptions, issuers.map((i) => i.issuer), bearerMethods);
  const dpop = resolveDpop(options.dpop, checkedMetadata, logger, now);
  const fetchFn = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));

  const insecure = issuers.filter((issuer) => issuer.insecure).map((issuer) => issuer.issuer);
  if (insecure.length > 0) {
    logger.warn(
      `"allowInsecureIssuer" is on: ${insecure.join(', ')} ${insecure.length === 1 ? 'is' : 'are'} trusted over plain http. Signing keys, ` +
        "the introspection credentials and callers' tokens cross the network unencrypted and unauthenticated; " +
        'use this only inside a network you control (a cluster), never across the internet',
    );
  }

  return Object.freeze({
    issuers,
    opaqueTokenIssuer: resolveOpaqueTokenIssuer(options.opaqueTokenIssuer, issuers),
    ...first,
    allowInsecureIssuer,
    algorithms: Object.freeze([...algorithms]),
    clockTolerance,
    bearerMethods: Object.freeze([...bearerMethods]),
    realm: options.realm === undefined ? 'api' : stringOption(options.realm, 'realm'),
    resourceMetadata:
      metadataOptions === undefined || dpop === undefined
        ? checkedMetadata
        : resolveResourceMetadata(metadataOptions, issuers.map((i) => i.issuer), bearerMethods, dpop),
    dpop,
    timeout: integerOption(options.timeout, 'timeout', 3000, 100, 60_000),
    jwksCooldown: integerOption(jwks.cooldown, 'jwks.cooldown', 5000, 0, 300_000),
    jwksMaxAge: integerOption(jwks.maxAge, 'jwks.maxAge', 300_000, 1000, 86_400_000),
    health: resolveHealthOptions(options.health, options.jwks?.maxAge ?? 300_000),
    jwtCacheMax: integerOption(options.jwtCacheMax, 'jwtCacheMax', 10_000, 0, 10_000_000),
    revocation,
    revocationUnavailable: oneOf(options.revocationUnavailable, 'revocationUnavailable', ['fail-open', 'fail-closed'] as const),
    audit: options.audit === false ? undefined : options.audit,
    auditAllowedRate: allowed === true ? 1 : allowed === false ? 0 : allowed,
    logger,
    fetch: fetchFn,
    now,
  });
}

function resolveDpop(options: DpopOptions | undefined, metadata: ResourceMetadata | undefined, logger: Logger, now: () => number): ResolvedDpop | undefined {
  if (options === undefined) return undefined;
  objectOption(options, 'dpop', 'e.g. { origins: ["https://api.acme.com"] }');
  checkKeys(options, DPOP_KEYS, 'dpop.');
  const algorithms = options.algorithms ?? (['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'] as const);
  if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((alg) => !ASYMMETRIC.includes(alg))) {
    fail(`"dpop.algorithms" option must be a non-empty list of asymmetric algorithms (${ASYMMETRIC.join(', ')})`);
  }
  const required = booleanOption(options.required, 'dpop.required');
  const replayCache = withMethods(options.replayCache, 'dpop.replayCache', ['remember'], 'remember(key, ttlMs), e.g. a RedisDpopReplayCache');
  const maxAge = integerOption(options.maxAge, 'dpop.maxAge', 60, 1, 600);
  const replayCacheMax = integerOption(options.replayCacheMax, 'dpop.replayCacheMax', 100_000, 100, 10_000_000);
  return Object.freeze({
    required,
    algorithms: Object.freeze([...algorithms]),
    maxAge,
    replayCache: replayCache ?? new MemoryDpopReplayCache({ max: replayCacheMax, logger, now }),
    origins: resolveOrigins(options.origins, metadata),
    logger,
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
  if (value !== 'each' && typeof value !== 'function') fail(`"opaqueTokenIssuer" option must be a function ({ request, token }) => issuer URL, or "each" (got ${describeValue(value)})`);
  if (introspecting < 2) fail('"opaqueTokenIssuer" option is only for several issuers with "introspection" (set in "issuers")');
  return value as OpaqueTokenIssuerSelector | 'each';
}

/** `dpop.origins`, each reduced to `URL.origin`; default: the origin of `resourceMetadata.resource`. */
function resolveOrigins(value: unknown, metadata: ResourceMetadata | undefined): readonly string[] {
  if (value === undefined) {
    const resource = metadata?.document.resource;
    if (typeof resource === 'string') return Object.freeze([new URL(resource).origin]);
    fail(
      '"dpop.origins" option is required with "dpop": the origins clients call this API at, e.g. dpop: { origins: ["https://api.acme.com"] } ' +
        '(or set "resourceMetadata.resource"). A proof names the URL it is for (htu); it is checked against these, never against the Host header of the request',
    );
  }
  if (!Array.isArray(value) || value.length === 0) fail(`"dpop.origins" option must be a non-empty list of origins, e.g. ["https://api.acme.com"] (got ${describeValue(value)})`);
  const origins: string[] = [];
  const hosts = new Map<string, string>();
  value.forEach((entry: unknown, index) => {
    const name = `dpop.origins[${index}]`;
    const shape = `option must be an origin such as "https://api.acme.com": http: or https:, a host and an optional port, nothing after it (got ${describeValue(entry)})`;
    if (typeof entry !== 'string') fail(`"${name}" ${shape}`);
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      fail(`"${name}" ${shape}`);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.pathname !== '/' || url.search || url.hash || /[?#]/.test(entry)) {
      fail(`"${name}" ${shape}`);
    }
    if (origins.includes(url.origin)) return;
    const other = hosts.get(url.host);
    if (other !== undefined) fail(`"dpop.origins" option lists ${other} and ${url.origin}: one host can have one scheme only`);
    hosts.set(url.host, url.origin);
    origins.push(url.origin);
  });
  return Object.freeze(origins);
}

const PER_ISSUER = ['issuer', 'audience', 'projectId', 'jwksUri', 'claims', 'rolesClaim', 'introspection'] as const;

function resolveIssuers(options: ResourceServerOptions, allowInsecure: boolean): readonly ResolvedIssuer[] {
  if (options.issuers === undefined) return Object.freeze([resolveIssuer(options as IssuerOptions, '', allowInsecure)]);
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) fail(`"issuers" option must be a non-empty list of issuers (got ${describeValue(options.issuers)})`);
  for (const name of PER_ISSUER) {
    if (options[name] !== undefined) fail(`"${name}" option cannot be combined with "issuers": set it on each issuer`);
  }
  const resolved = options.issuers.map((issuer: unknown, index) => {
    if (issuer === null || typeof issuer !== 'object' || Array.isArray(issuer)) fail(`"issuers[${index}]" must be an object with "issuer" and "audience" (got ${describeValue(issuer)})`);
    checkKeys(issuer, ISSUER_KEYS, `issuers[${index}].`);
    return resolveIssuer(issuer as IssuerOptions, `issuers[${index}].`, allowInsecure);
  });
  const seen = new Set<string>();
  for (const { issuer } of resolved) {
    if (seen.has(issuer)) fail(`"issuers" option lists ${issuer} twice`);
    seen.add(issuer);
  }
  return Object.freeze(resolved);
}

function resolveIssuer(options: IssuerOptions, prefix: string, allowInsecure: boolean): ResolvedIssuer {
  const claims = oneOf(options.claims, `${prefix}claims`, ['zitadel', 'generic'] as const);
  const { issuer, insecure } = resolveIssuerUrl(options.issuer, `${prefix}issuer`, claims, allowInsecure);
  const audience = resolveAudience(options.audience, `${prefix}audience`);
  if (options.rolesClaim !== undefined) stringOption(options.rolesClaim, `${prefix}rolesClaim`);
  if (options.projectId !== undefined) resolveId(options.projectId, `${prefix}projectId`);
  return Object.freeze({
    issuer,
    audience,
    projectId: options.projectId,
    jwksUri: issuerEndpoint(options.jwksUri, `${prefix}jwksUri`, issuer, insecure),
    claims,
    rolesClaim: options.rolesClaim,
    introspection: resolveIntrospection(options.introspection, prefix, issuer, insecure),
    insecure,
  });
}

/**
 * An issuer URL, refused unless discovery can work with it and `iss` can match it exactly
 * (OpenID Connect Discovery 1.0 §4.3: string comparison, no case folding, no slash added
 * or removed). With the ZITADEL preset it must be written as ZITADEL writes `iss`.
 */
function resolveIssuerUrl(value: unknown, name: string, claims: ClaimsPreset, allowInsecure: boolean): { issuer: string; insecure: boolean } {
  const issuer = stringOption(value, name);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    fail(`"${name}" option must be an absolute https: URL such as "https://acme.zitadel.cloud" (got ${describeValue(issuer)})`);
  }
  if (url.search || url.hash || /[?#]/.test(issuer)) {
    fail(
      `"${name}" option must have no query or fragment (got ${describeValue(issuer)}): discovery reads {issuer}/.well-known/openid-configuration ` +
        `and tokens' iss is compared exactly; use "${url.origin}${url.pathname === '/' ? '' : url.pathname}"`,
    );
  }
  if (url.username || url.password) fail(`"${name}" option must not contain a user name or password`);
  let insecure = false;
  if (!isAllowedEndpoint(issuer)) {
    if (url.protocol === 'http:' && allowInsecure) {
      insecure = true;
    } else {
      fail(
        `"${name}" option must be an https: URL (http: is allowed only for 127.0.0.1 or localhost, for development` +
          `${url.protocol === 'http:' ? '; for a plain-http issuer inside a cluster set allowInsecureIssuer: true' : ''})`,
      );
    }
  }
  if (claims === 'zitadel') {
    const canonical = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    if (issuer.endsWith('/')) {
      fail(
        `"${name}" option must not end with "/": ZITADEL's issuer has no trailing slash, and tokens' iss is compared exactly ` +
          `(OpenID Connect Discovery 1.0 §4.3); use "${canonical}"`,
      );
    }
    if (issuer !== canonical) {
      fail(
        `"${name}" option must be written as ZITADEL writes iss (lower-case scheme and host, no default port): use "${canonical}" ` +
          `(got ${describeValue(issuer)}); iss is compared exactly, without case folding`,
      );
    }
  }
  return { issuer, insecure };
}

/** Why an id must be a string: ZITADEL ids are 18 digits, beyond `Number.MAX_SAFE_INTEGER`. */
function numericIdMessage(name: string, value: number | bigint): string {
  return (
    `"${name}" option must be a string, not a number (got ${describeValue(value)}): ZITADEL ids such as 294800000000000001 exceed 2^53, ` +
    'so as JavaScript numbers they lose their last digits; write the id in quotes, e.g. "294800000000000001"'
  );
}

function resolveId(value: unknown, name: string): string {
  if (typeof value === 'number' || typeof value === 'bigint') fail(numericIdMessage(name, value));
  return stringOption(value, name);
}

function resolveAudience(value: unknown, name: string): readonly string[] {
  const shape = `"${name}" option must be a non-empty string or a non-empty list of strings (the project id and/or the API client id)`;
  if (value === undefined) fail(`${shape}; it is required`);
  if (typeof value === 'number' || typeof value === 'bigint') fail(numericIdMessage(name, value));
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) fail(`${shape} (got ${describeValue(value)})`);
  list.forEach((entry: unknown, index) => {
    const entryName = typeof value === 'string' ? name : `${name}[${index}]`;
    if (typeof entry === 'number' || typeof entry === 'bigint') fail(numericIdMessage(entryName, entry));
    if (typeof entry !== 'string' || entry.trim() === '') fail(`${shape} (got ${describeValue(entry)}${entryName === name ? '' : ` at ${entryName}`})`);
  });
  return Object.freeze([...(list as string[])]);
}

/**
 * Whether `url` may be configured as an endpoint of `issuer` (`jwksUri`,
 * `introspection.endpoint`): `https:`, `http:` on loopback, and — for an issuer accepted by
 * `allowInsecureIssuer` — `http:` on that issuer's own origin. (Endpoints from discovery
 * follow `discoveredEndpointProblem` in `url.ts`: the issuer's own origin only.)
 *
 * @example
 * const { issuers } = resolveOptions({ issuer: 'http://zitadel:8080', audience: '294800000000000001', allowInsecureIssuer: true });
 * isAllowedIssuerEndpoint('http://zitadel:8080/oauth/v2/keys', issuers[0]!); // true: the issuer's own origin
 * isAllowedIssuerEndpoint('http://keys.internal/jwks', issuers[0]!);          // false
 */
export function isAllowedIssuerEndpoint(url: string, issuer: Pick<ResolvedIssuer, 'issuer' | 'insecure'>): boolean {
  if (isAllowedEndpoint(url)) return true;
  if (!issuer.insecure) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && !parsed.username && !parsed.password && parsed.origin === new URL(issuer.issuer).origin;
  } catch {
    return false;
  }
}

function issuerEndpoint(value: unknown, name: string, issuer: string, insecure: boolean): string | undefined {
  if (value === undefined) return undefined;
  const url = stringOption(value, name);
  if (!isAllowedIssuerEndpoint(url, { issuer, insecure })) {
    fail(
      `"${name}" option must be an https: URL (http: only on 127.0.0.1 or localhost${insecure ? `, or on ${new URL(issuer).origin} with allowInsecureIssuer` : ''}) ` +
        `(got ${describeValue(url)})`,
    );
  }
  return url;
}

function resolveIntrospection(options: IntrospectionOptions | undefined, prefix: string, issuer: string, insecure: boolean): ResolvedIntrospection | undefined {
  if (options === undefined) return undefined;
  const authShape = '{ type: "client_secret_basic", clientId, clientSecret } or { type: "private_key_jwt", keyFile }';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(`"${prefix}introspection" option must be an object { auth, endpoint?, maxTtl?, inactiveTtl?, cacheMax?, cache? } (got ${describeValue(options)})`);
  }
  checkKeys(options, INTROSPECTION_KEYS, `${prefix}introspection.`);
  if (options.auth === null || typeof options.auth !== 'object' || Array.isArray(options.auth)) {
    fail(`"${prefix}introspection.auth" option is required: ${authShape} (got ${describeValue(options.auth)})`);
  }
  const { auth } = options;
  let resolvedAuth: ResolvedIntrospection['auth'];
  if (auth.type === 'client_secret_basic') {
    checkKeys(auth, AUTH_KEYS.client_secret_basic, `${prefix}introspection.auth.`);
    resolvedAuth = {
      type: 'client_secret_basic',
      clientId: stringOption(auth.clientId, `${prefix}introspection.auth.clientId`),
      clientSecret: stringOption(auth.clientSecret, `${prefix}introspection.auth.clientSecret`, true),
    };
  } else if (auth.type === 'private_key_jwt') {
    checkKeys(auth, AUTH_KEYS.private_key_jwt, `${prefix}introspection.auth.`);
    if (auth.keyFile === undefined) fail(`"${prefix}introspection.auth.keyFile" option is required for private_key_jwt (the API application key JSON, or its path)`);
    resolvedAuth = { type: 'private_key_jwt', key: loadApplicationKey(auth.keyFile, `${prefix}introspection.auth.keyFile`) };
  } else {
    fail(`"${prefix}introspection.auth.type" option must be "client_secret_basic" or "private_key_jwt" (got ${describeValue((auth as { type?: unknown }).type)})`);
  }
  return Object.freeze({
    auth: resolvedAuth,
    endpoint: issuerEndpoint(options.endpoint, `${prefix}introspection.endpoint`, issuer, insecure),
    maxTtl: integerOption(options.maxTtl, `${prefix}introspection.maxTtl`, 30_000, 0, 300_000),
    inactiveTtl: integerOption(options.inactiveTtl, `${prefix}introspection.inactiveTtl`, 5000, 0, 60_000),
    cacheMax: integerOption(options.cacheMax, `${prefix}introspection.cacheMax`, 10_000, 1, 10_000_000),
    cache: withMethods(options.cache, `${prefix}introspection.cache`, ['get', 'set', 'delete'], 'a TokenCache such as a RedisTokenCache'),
    ...resolveIntrospectionLimits(options, `${prefix}introspection.`),
  });
}
