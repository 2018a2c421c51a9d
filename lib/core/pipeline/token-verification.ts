import { decodeJwt } from 'jose';
import { validToken } from '../bearer.js';
import type { BearerRequest } from '../bearer.js';
import { InvalidTokenError, IssuerUnavailableError } from '../errors.js';
import type { ThrottledLog } from '../logger.js';
import type { ResourceServerMetrics } from '../operations/metrics.js';
import { Operations } from '../operations/operations.js';
import type { ResolvedOptions } from '../options.js';
import { hasScopeClaim } from '../principal.js';
import type { Principal } from '../principal.js';
import { MemoryTokenCache } from '../token-cache.js';
import { classifyToken } from '../token-kind.js';
import { TrustedIssuer } from '../trusted-issuer.js';

/**
 * Verification of one token against the trusted issuers: a verified JWT or an opaque
 * token's cached introspection answer is returned synchronously; anything else is a
 * promise (JWKS, introspection). JWTs go to the issuer their `iss` names (an unlisted one is
 * refused without any network call); opaque tokens to the issuers that introspect.
 */
export class TokenVerification {
  readonly issuers: readonly TrustedIssuer[];
  readonly #byIssuer: ReadonlyMap<string, TrustedIssuer>;
  readonly #jwtCache: MemoryTokenCache<Principal> | undefined;
  /** The one issuer that introspects, when there is one. */
  readonly #onlyIntrospector: TrustedIssuer | undefined;
  readonly #introspecting: readonly TrustedIssuer[];
  readonly #metrics: ResourceServerMetrics;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly log: ThrottledLog,
    operations: Operations = new Operations(log, options.timeout),
  ) {
    this.#metrics = operations.metrics;
    this.issuers = options.issuers.map((config) => new TrustedIssuer(config, options, log, operations));
    this.#byIssuer = new Map(this.issuers.map((issuer) => [issuer.config.issuer, issuer]));
    this.#jwtCache = options.jwtCacheMax > 0 ? new MemoryTokenCache<Principal>({ max: options.jwtCacheMax }) : undefined;
    this.#introspecting = this.issuers.filter((issuer) => issuer.introspects);
    this.#onlyIntrospector = this.#introspecting.length === 1 ? this.#introspecting[0] : undefined;
  }

  /**
   * The principal of `token` (whose hash is `hash`). Only tokens that passed the RFC 6750
   * syntax check are ever cached, so a cache hit needs no second check.
   */
  verify(token: string, hash: string, request: BearerRequest): Principal | Promise<Principal> {
    const cached = this.#jwtCache?.get(hash);
    const metrics = this.#metrics;
    if (cached !== undefined && this.#stillValid(cached)) {
      if (metrics.active) {
        metrics.cacheLookup('jwt', true);
        metrics.verification('cached', 'jwt');
      }
      return cached;
    }
    validToken(token);
    if (!token.includes('.')) {
      const owner = this.#ownerOfOpaque(token, request);
      if (owner instanceof TrustedIssuer) {
        const result = owner.cachedIntrospection(hash);
        if (result !== undefined) {
          if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
          return owner.opaquePrincipal(result, hash);
        }
        return this.#introspectAt(owner, token, hash);
      }
    } else if (metrics.active && this.#jwtCache !== undefined) {
      metrics.cacheLookup('jwt', false);
    }
    return this.#verifyUncached(token, hash, request);
  }

  async #verifyUncached(token: string, hash: string, request: BearerRequest): Promise<Principal> {
    const classified = classifyToken(token);
    if (classified.kind === 'opaque') {
      const owner = this.#ownerOfOpaque(token, request);
      return owner instanceof TrustedIssuer ? this.#introspectAt(owner, token, hash) : this.#introspectEach(token, hash);
    }
    const issuer = this.#issuerOfJwt(token);
    if (this.#metrics.active) this.#metrics.verification('jwks', 'jwt');
    const principal = await issuer.verifyJwt(token, classified.header, hash);
    if (this.#jwtCache !== undefined && principal.expiresAt !== undefined) {
      this.#jwtCache.set(hash, principal, principal.expiresAt.getTime() - this.options.now());
    }
    return principal;
  }

  /** The trusted issuer that vouched for a principal. */
  issuerOf(principal: Principal): TrustedIssuer | undefined {
    return this.#byIssuer.get(principal.issuer) ?? (this.issuers.length === 1 ? this.issuers[0] : undefined);
  }

  /**
   * A JWT with no scope claim at all, on a route that needs scopes, whose issuer can
   * introspect: its scopes are learned by introspection (ZITADEL JWTs carry none).
   */
  needsScopeEnrichment(principal: Principal): boolean {
    return principal.tokenKind === 'jwt' && !hasScopeClaim(principal.claims as Record<string, unknown>) && this.issuerOf(principal)?.introspects === true;
  }

  /**
   * Introspects the token behind `principal` now (answers at most `maxAgeMs` old) and
   * returns the principal of the answer. Inactive → 401; no introspection configured → 503
   * and an operator log line (the route asks for something only introspection can give).
   */
  async introspect(principal: Principal, token: string, hash: string, maxAgeMs: number, why: 'activeToken' | 'scopes'): Promise<Principal> {
    const issuer = this.issuerOf(principal);
    if (!issuer?.introspects) {
      this.log.error(
        `no-introspection-${why}`,
        `A route requires ${why === 'activeToken' ? 'an active token' : 'scopes'} check by introspection, but "introspection" is not configured`,
      );
      throw new IssuerUnavailableError('Token introspection is not configured');
    }
    // A token already verified: it gets the upstream slots kept for known tokens.
    const result = await issuer.introspect(token, hash, maxAgeMs, { known: true });
    if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
    return issuer.principal(result.claims as Record<string, unknown>, hash, 'introspection', principal.tokenKind);
  }

  /** The trusted issuer named by a JWT's `iss`; an unlisted issuer is refused without any network call. */
  #issuerOfJwt(token: string): TrustedIssuer {
    if (this.issuers.length === 1) return this.issuers[0]!;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token is malformed');
    }
    const issuer = typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined;
    if (!issuer) throw new InvalidTokenError('ERR_CLAIM_INVALID', "The token's iss claim is not accepted");
    return issuer;
  }

  /**
   * The issuer an opaque token goes to: the one that introspects, or the one the
   * `opaqueTokenIssuer` selector names; `'each'` when fan-out was opted into. No issuer
   * introspects, or the selector names none → 401 without any upstream call.
   */
  #ownerOfOpaque(token: string, request: BearerRequest): TrustedIssuer | 'each' {
    if (this.#onlyIntrospector !== undefined) return this.#onlyIntrospector;
    if (this.#introspecting.length === 0) {
      this.log.warn(
        'opaque-without-introspection',
        'An opaque token (or a ZITADEL personal access token) was refused with 401 because "introspection" is not configured. ' +
          "ZITADEL issues opaque access tokens by default: configure \"introspection\" with the API application's credentials, or set the service user's access token type to JWT",
      );
      throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Opaque tokens are not accepted here; send a JWT access token');
    }
    const selector = this.options.opaqueTokenIssuer;
    if (selector === 'each' || selector === undefined) return 'each';
    const named = selector({ request, token });
    const owner = typeof named === 'string' ? this.#byIssuer.get(named) : undefined;
    if (owner?.introspects !== true) throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'The issuer of this opaque token is not accepted here');
    return owner;
  }

  async #introspectAt(issuer: TrustedIssuer, token: string, hash: string): Promise<Principal> {
    const result = await issuer.introspect(token, hash);
    if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
    return issuer.opaquePrincipal(result, hash);
  }

  /**
   * `opaqueTokenIssuer: 'each'`: every issuer with introspection is asked in list order
   * until one says active. Inactive everywhere → 401; any issuer unavailable (and none
   * active) → 503.
   */
  async #introspectEach(token: string, hash: string): Promise<Principal> {
    let unavailable: unknown;
    for (const issuer of this.#introspecting) {
      // An issuer whose token shapes this token cannot have is not asked (no call, no refusal).
      if (!issuer.acceptsTokenShape(token)) continue;
      try {
        const result = await issuer.introspect(token, hash);
        if (result.active) return issuer.opaquePrincipal(result, hash);
      } catch (error) {
        if (!(error instanceof IssuerUnavailableError)) throw error;
        unavailable ??= error;
      }
    }
    if (unavailable) throw unavailable;
    throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
  }

  #stillValid(principal: Principal): boolean {
    return principal.expiresAt !== undefined && principal.expiresAt.getTime() > this.options.now() - this.options.clockTolerance * 1000;
  }
}
