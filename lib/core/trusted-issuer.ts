import type { ProtectedHeaderParameters } from 'jose';
import { ResourceServerOptionsError } from './errors.js';
import { IssuerDiscovery } from './discovery.js';
import type { EndpointName } from './discovery.js';
import { clientSecretBasic, privateKeyJwt } from './introspection/client-auth.js';
import type { IntrospectionResult } from './introspection/introspection-client.js';
import { resolveIntrospectionLimits } from './introspection/introspection-options.js';
import type { IntrospectionLimitOptions } from './introspection/introspection-options.js';
import { Introspector } from './introspection/introspector.js';
import type { CachedIntrospection, IntrospectOptions } from './introspection/introspector.js';
import { hasZitadelTokenShape } from './introspection/zitadel-token-shape.js';
import { ClaimInterner } from './interner.js';
import { JwksKeyStore } from './jwks.js';
import { JwtVerifier } from './jwt-verifier.js';
import type { ThrottledLog } from './logger.js';
import { issuerHealth } from './operations/health.js';
import type { IssuerHealth } from './operations/health.js';
import { Operations } from './operations/operations.js';
import { retryAfterSeconds } from './operations/upstream-report.js';
import type { ResolvedIssuer, ResolvedOptions } from './options.js';
import { toPrincipal } from './principal.js';
import type { Principal, TokenKind, VerifiedBy } from './principal.js';
import { MemoryTokenCache } from './token-cache.js';
import { shortTokenHash } from './token-hash.js';

/**
 * Everything that belongs to one trusted issuer: its discovery document, its keys, its
 * JWT verifier, its introspection client and cache, and its claim layout.
 */
export class TrustedIssuer {
  readonly #verifier: JwtVerifier;
  readonly #discovery: IssuerDiscovery;
  readonly #keys: JwksKeyStore;
  readonly #introspector: Introspector | undefined;
  readonly #usesDiscovery: boolean;
  readonly #now: () => number;
  readonly #fromIntrospection = new WeakMap<object, Principal>();
  readonly #interner = new ClaimInterner();

  constructor(
    readonly config: ResolvedIssuer,
    options: ResolvedOptions,
    log: ThrottledLog,
    operations: Operations = new Operations(log, options.timeout),
  ) {
    const { fetch, timeout, now } = options;
    this.#now = now;
    const { upstream, metrics } = operations;
    const cooldown = `${retryAfterSeconds(options.jwksCooldown)} s`;
    this.#usesDiscovery = config.jwksUri === undefined || (config.introspection !== undefined && config.introspection.endpoint === undefined);
    const discovery = new IssuerDiscovery({
      issuer: config.issuer,
      fetch,
      timeoutMs: timeout,
      cooldownMs: options.jwksCooldown,
      now,
      onRefused: (name, endpoint, problem) => log.error(`discovery-${name} ${config.issuer}`, refusedEndpointMessage(config.issuer, name, endpoint, problem)),
      onFailure: (url, cause, retryAfterMs) =>
        upstream.report({
          kind: 'discovery',
          subject: `The discovery document of ${config.issuer} cannot be read`,
          endpoint: url,
          cause,
          level: 'error',
          consequence:
            `requests that need the endpoints it names (the JWKS${config.introspection ? ', introspection' : ''}) get 503 with Retry-After: ${retryAfterSeconds(retryAfterMs)} ` +
            `until it can be read (retried at most once per ${cooldown})`,
        }),
      observe: operations.observer('discovery'),
    });
    this.#discovery = discovery;
    const keys = new JwksKeyStore({
      resolveUri: async () => config.jwksUri ?? (await discovery.endpoint('jwks_uri')),
      fetch,
      timeoutMs: timeout,
      cooldownMs: options.jwksCooldown,
      maxAgeMs: options.jwksMaxAge,
      now,
      onFailure: (url, cause, hadKeys) =>
        upstream.report({
          kind: 'jwks',
          subject: `The JWKS of ${config.issuer} cannot be fetched`,
          endpoint: url,
          cause,
          level: hadKeys ? 'warn' : 'error',
          consequence: hadKeys
            ? `the cached keys stay in use: tokens signed with them are still accepted; a token with an unknown key ("kid") gets 503 with Retry-After: ${retryAfterSeconds(options.jwksCooldown)} until the JWKS can be fetched (retried at most once per ${cooldown})`
            : `every JWT gets 503 with Retry-After: ${retryAfterSeconds(options.jwksCooldown)} until the JWKS can be fetched (retried at most once per ${cooldown})`,
        }),
      onFetched: (url, reason, success) => metrics.jwksRefresh(url, reason, success),
      observe: operations.observer('jwks'),
    });
    this.#keys = keys;
    this.#verifier = new JwtVerifier({
      issuer: config.issuer,
      audience: config.audience,
      algorithms: options.algorithms,
      clockTolerance: options.clockTolerance,
      requiredClaims: config.claims === 'zitadel' ? ['jti'] : [],
      keys,
      now,
    });
    const introspection = config.introspection;
    if (introspection) {
      const auth =
        introspection.auth.type === 'client_secret_basic'
          ? clientSecretBasic(introspection.auth.clientId, introspection.auth.clientSecret)
          : privateKeyJwt(introspection.auth.key, config.issuer, now);
      const clientId = introspection.auth.type === 'client_secret_basic' ? introspection.auth.clientId : introspection.auth.key.clientId;
      this.#introspector = new Introspector({
        resolveEndpoint: async () => introspection.endpoint ?? (await discovery.endpoint('introspection_endpoint')),
        auth,
        issuer: config.issuer,
        audience: config.audience,
        clientId,
        // Validated by the options module when it knows these options; defaults otherwise.
        limits: resolveIntrospectionLimits(introspection as IntrospectionLimitOptions),
        hasExpectedShape: config.claims === 'zitadel' ? hasZitadelTokenShape : undefined,
        knownMax: introspection.cacheMax,
        fetch,
        timeoutMs: timeout,
        cache: introspection.cache ?? new MemoryTokenCache<CachedIntrospection>({ max: introspection.cacheMax }),
        askedBy: JSON.stringify([config.issuer, clientId, [...config.audience].sort()]),
        maxTtlMs: introspection.maxTtl,
        inactiveTtlMs: introspection.inactiveTtl,
        log,
        reporter: upstream,
        metrics,
        observe: operations.observer('introspection'),
        now,
      });
    }
  }

  /**
   * Loads what this issuer's decisions need, within the cooldowns: the discovery document
   * (when used), the JWKS (refreshed when stale), and the introspection endpoint's URL.
   * Never rejects: failures are reported (log line, count) and show in {@link health}.
   */
  async warmUp(): Promise<void> {
    const introspector = this.#introspector;
    await Promise.all([this.#keys.warmUp(), introspector?.resolveEndpoint().catch(() => undefined)]);
  }

  /** This issuer's health (see {@link IssuerHealth}); no I/O. */
  health(toleranceMs: number): IssuerHealth {
    const introspector = this.#introspector;
    return issuerHealth({
      issuer: this.config.issuer,
      discovery: this.#usesDiscovery ? this.#discovery.state : undefined,
      jwks: { ...this.#keys.state, url: this.#keys.state.url ?? this.config.jwksUri },
      introspection: introspector === undefined ? undefined : { ...introspector.state, configuredEndpoint: this.config.introspection?.endpoint },
      now: this.#now(),
      toleranceMs,
    });
  }

  /**
   * False when `token` cannot be one of this issuer's tokens by its shape alone (the ZITADEL
   * preset knows ZITADEL's formats; other presets accept any shape). With several issuers,
   * an opaque token should only be introspected by the issuers that accept its shape:
   * {@link introspect} refuses the others with 401 `ERR_TOKEN_MALFORMED`.
   */
  acceptsTokenShape(token: string): boolean {
    return this.config.claims !== 'zitadel' || hasZitadelTokenShape(token);
  }

  /** True when this issuer can introspect (opaque tokens, active-token routes, scope enrichment). */
  get introspects(): boolean {
    return this.#introspector !== undefined;
  }

  /** Verifies a JWT locally and returns its principal. */
  async verifyJwt(token: string, header: ProtectedHeaderParameters, hash: string): Promise<Principal> {
    const payload = await this.#verifier.verify(token, header);
    return this.principal(payload, hash, 'jwks', 'jwt');
  }

  /** A cached introspection verdict available without waiting, if any. */
  cachedIntrospection(hash: string): IntrospectionResult | undefined {
    return this.#introspector?.cachedSync(hash);
  }

  /**
   * Introspects a token (requires `introspects`). In the ZITADEL preset a token that does
   * not have the shape of a ZITADEL token is refused (401 `ERR_TOKEN_MALFORMED`) without
   * any I/O. Rejects with an `IssuerUnavailableError` carrying `retryAfter` when
   * introspection is busy (never-seen tokens beyond `introspection.maxConcurrent` or
   * `introspection.maxNewPerSecond`) or paused after a refusal of this API's credentials.
   * Pass `hints.known` for a token already trusted (a verified JWT needing its scopes, a
   * principal re-checked on an active-token route): it gets priority when introspection is busy.
   */
  introspect(token: string, hash: string, maxAgeMs?: number, hints?: IntrospectOptions): Promise<IntrospectionResult> {
    if (!this.#introspector) throw new ResourceServerOptionsError(`${this.config.issuer} has no introspection configured`);
    return this.#introspector.introspect(token, hash, maxAgeMs, hints);
  }

  /**
   * The principal of an active introspection answer, built once per cached answer object
   * (a cache hit costs a lookup, not a new principal).
   */
  opaquePrincipal(result: IntrospectionResult & { active: true }, hash: string): Principal {
    let principal = this.#fromIntrospection.get(result);
    if (!principal) {
      principal = this.principal(result.claims as Record<string, unknown>, hash, 'introspection', 'opaque');
      this.#fromIntrospection.set(result, principal);
    }
    return principal;
  }

  /** A principal from verified claims, read with this issuer's claim layout. */
  principal(claims: Record<string, unknown>, hash: string, verifiedBy: VerifiedBy, tokenKind: TokenKind): Principal {
    return toPrincipal(
      claims,
      { verifiedBy, tokenKind, shortHash: shortTokenHash(hash) },
      {
        preset: this.config.claims,
        projectId: this.config.projectId,
        audience: this.config.audience,
        rolesClaim: this.config.rolesClaim,
        issuer: this.config.issuer,
        interner: this.#interner,
      },
    );
  }
}

const EXPLICIT_OPTION: Readonly<Record<EndpointName, string>> = { jwks_uri: 'jwksUri', introspection_endpoint: 'introspection.endpoint' };

/** The operator's log line for an endpoint of the discovery document that is not used. */
function refusedEndpointMessage(issuer: string, name: EndpointName, endpoint: unknown, problem: string): string {
  const option = EXPLICIT_OPTION[name];
  if (endpoint === undefined || endpoint === null || endpoint === '') {
    return `The discovery document of ${issuer} names no ${name}; set "${option}" to use one. Requests that need it get 503.`;
  }
  const shown = typeof endpoint === 'string' ? endpoint.slice(0, 200) : `a ${typeof endpoint}`;
  return (
    `The discovery document of ${issuer} names ${name} ${JSON.stringify(shown)}, which ${problem}: it is not used, ` +
    `and requests that need it get 503. If that endpoint is really the issuer's, set "${option}" explicitly.`
  );
}
