import { decodeJwt } from 'jose';
import { validToken } from '../bearer.js';
import { InvalidTokenError, IssuerUnavailableError } from '../errors.js';
import type { ThrottledLog } from '../logger.js';
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
  readonly #onlyIntrospector: TrustedIssuer | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly log: ThrottledLog,
  ) {
    this.issuers = options.issuers.map((config) => new TrustedIssuer(config, options, log));
    this.#byIssuer = new Map(this.issuers.map((issuer) => [issuer.config.issuer, issuer]));
    this.#jwtCache = options.jwtCacheMax > 0 ? new MemoryTokenCache<Principal>({ max: options.jwtCacheMax }) : undefined;
    const introspecting = this.issuers.filter((issuer) => issuer.introspects);
    this.#onlyIntrospector = this.issuers.length === 1 && introspecting.length === 1 ? introspecting[0] : undefined;
  }

  /**
   * The principal of `token` (whose hash is `hash`). Only tokens that passed the RFC 6750
   * syntax check are ever cached, so a cache hit needs no second check.
   */
  verify(token: string, hash: string): Principal | Promise<Principal> {
    const cached = this.#jwtCache?.get(hash);
    if (cached !== undefined && this.#stillValid(cached)) return cached;
    validToken(token);
    const only = this.#onlyIntrospector;
    if (only !== undefined && !token.includes('.')) {
      const result = only.cachedIntrospection(hash);
      if (result !== undefined) {
        if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
        return only.opaquePrincipal(result, hash);
      }
    }
    return this.#verifyUncached(token, hash);
  }

  async #verifyUncached(token: string, hash: string): Promise<Principal> {
    const classified = classifyToken(token);
    if (classified.kind === 'opaque') return this.#introspectOpaque(token, hash);
    const principal = await this.#issuerOfJwt(token).verifyJwt(token, classified.header, hash);
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
    const result = await issuer.introspect(token, hash, maxAgeMs);
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
   * Opaque tokens carry no issuer: each issuer with introspection is asked in list order
   * until one says active. Inactive everywhere → 401; any issuer unavailable (and none
   * active) → 503.
   */
  async #introspectOpaque(token: string, hash: string): Promise<Principal> {
    let unavailable: unknown;
    let asked = false;
    for (const issuer of this.issuers) {
      if (!issuer.introspects) continue;
      asked = true;
      try {
        const result = await issuer.introspect(token, hash);
        if (result.active) return issuer.opaquePrincipal(result, hash);
      } catch (error) {
        if (this.issuers.length === 1 || !(error instanceof IssuerUnavailableError)) throw error;
        unavailable ??= error;
      }
    }
    if (!asked) throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Opaque tokens are not accepted here; send a JWT access token');
    if (unavailable) throw unavailable;
    throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
  }

  #stillValid(principal: Principal): boolean {
    return principal.expiresAt !== undefined && principal.expiresAt.getTime() > this.options.now() - this.options.clockTolerance * 1000;
  }
}
