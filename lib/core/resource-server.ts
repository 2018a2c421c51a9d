import type { JWTPayload } from 'jose';
import { auditEvent } from './audit.js';
import type { AuditRequest } from './audit.js';
import { loadTelemetry, recordTelemetry, telemetryEnabled } from './telemetry.js';
import { resolveBearerToken } from './bearer.js';
import type { BearerRequest } from './bearer.js';
import { buildChallenge, toErrorResponse } from './challenge.js';
import type { ErrorResponse } from './challenge.js';
import { IssuerDiscovery } from './discovery.js';
import { AuthError, InvalidTokenError, IssuerUnavailableError } from './errors.js';
import { clientSecretBasic, privateKeyJwt } from './introspection/client-auth.js';
import { Introspector } from './introspection/introspector.js';
import type { CachedIntrospection } from './introspection/introspector.js';
import { JwksKeyStore } from './jwks.js';
import { JwtVerifier } from './jwt-verifier.js';
import { ThrottledLog } from './logger.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions, ResourceServerOptions } from './options.js';
import { evaluateRequirement, needsActiveToken, needsScopes } from './policy.js';
import type { Requirement } from './policy.js';
import { hasScopeClaim, toPrincipal } from './principal.js';
import type { Principal, TokenKind, VerifiedBy } from './principal.js';
import type { RevocationTarget } from './revocation.js';
import { MemoryTokenCache } from './token-cache.js';
import { hashToken, shortTokenHash } from './token-hash.js';
import { classifyToken } from './token-kind.js';

/** How long a route that demands an active token may reuse an introspection answer. */
const ACTIVE_TOKEN_MAX_AGE_MS = 1000;

/** The resource server: authenticate a request, then authorize the caller for a route. */
export interface ResourceServer {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedOptions;
  /**
   * Finds the bearer token (an Authorization header value, or a request) and verifies it.
   * Throws an {@link AuthError}: 401/400 for the caller's faults, 503 when the issuer is
   * needed and unavailable.
   */
  authenticate(input: string | undefined | BearerRequest): Promise<Principal>;
  /** Finds the one bearer token of a request (RFC 6750) without verifying it. */
  resolveToken(request: BearerRequest): string;
  /** Verifies a bearer token: locally if it is a JWT, by introspection otherwise. */
  verifyToken(token: string): Promise<Principal>;
  /**
   * Checks the caller against a route's requirements (all must hold) and returns the
   * principal to use from then on (refreshed when the route demands an active token).
   * May introspect: for `activeToken`, and to learn the scopes of a JWT that has none.
   */
  authorize(principal: Principal, requirements: Requirement | readonly Requirement[]): Promise<Principal>;
  /** The `WWW-Authenticate` value for an error (or a bare challenge). */
  challenge(error?: AuthError): string;
  /** Status, headers and body for an error. Non-auth errors become a 503 (fail closed). */
  toErrorResponse(error: unknown): ErrorResponse;
  /** Adds to the configured revocation list (throws if none is configured). */
  revoke(target: RevocationTarget): Promise<void>;
  /**
   * Emits the audit event of one decision to the `audit` option (adapters call this once
   * per request). Allow events are sampled per `auditAllowed`.
   */
  record(request: AuditRequest, outcome: { principal?: Principal | undefined; error?: unknown; status?: number }): void;
}

interface CachedJwt {
  readonly principal: Principal;
}

/**
 * Creates a resource server. Options are validated here, once; nothing is fetched until
 * the first token needs it.
 *
 * @example
 * const rs = createResourceServer({
 *   issuer: 'https://acme.zitadel.cloud',
 *   audience: ['294800000000000001'],
 *   projectId: '294800000000000001',
 * });
 * const principal = await rs.authenticate(req.headers.authorization);
 * await rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] });
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  return new DefaultResourceServer(resolveOptions(options));
}

class DefaultResourceServer implements ResourceServer {
  readonly #log: ThrottledLog;
  readonly #discovery: IssuerDiscovery;
  readonly #verifier: JwtVerifier;
  readonly #introspector: Introspector | undefined;
  readonly #jwtCache: MemoryTokenCache<CachedJwt> | undefined;
  /** The token behind each principal, for later introspection. Memory only, never serialized. */
  readonly #tokens = new WeakMap<Principal, string>();

  constructor(readonly options: ResolvedOptions) {
    const { fetch, timeout, now } = options;
    void loadTelemetry();
    this.#log = new ThrottledLog(options.logger, 60_000, now);
    this.#discovery = new IssuerDiscovery({ issuer: options.issuer, fetch, timeoutMs: timeout, cooldownMs: options.jwksCooldown, now });
    const keys = new JwksKeyStore({
      resolveUri: async () => options.jwksUri ?? (await this.#discovery.endpoints()).jwksUri,
      fetch,
      timeoutMs: timeout,
      cooldownMs: options.jwksCooldown,
      maxAgeMs: options.jwksMaxAge,
      now,
      onBackgroundError: () => this.#log.warn('jwks-refresh', 'The JWKS could not be refreshed; the cached keys stay in use'),
    });
    this.#verifier = new JwtVerifier({
      issuer: options.issuer,
      audience: options.audience,
      algorithms: options.algorithms,
      clockTolerance: options.clockTolerance,
      requiredClaims: options.claims === 'zitadel' ? ['jti'] : [],
      keys,
      now,
    });
    this.#jwtCache = options.jwtCacheMax > 0 ? new MemoryTokenCache<CachedJwt>({ max: options.jwtCacheMax }) : undefined;
    const introspection = options.introspection;
    if (introspection) {
      const auth =
        introspection.auth.type === 'client_secret_basic'
          ? clientSecretBasic(introspection.auth.clientId, introspection.auth.clientSecret)
          : privateKeyJwt(introspection.auth.key, options.issuer, now);
      this.#introspector = new Introspector({
        resolveEndpoint: async () => {
          const endpoint = introspection.endpoint ?? (await this.#discovery.endpoints()).introspectionEndpoint;
          if (endpoint === undefined) {
            this.#log.error('introspection-endpoint', 'The discovery document names no introspection_endpoint; set introspection.endpoint');
            throw new IssuerUnavailableError('Token introspection is unavailable');
          }
          return endpoint;
        },
        auth,
        issuer: options.issuer,
        audience: options.audience,
        fetch,
        timeoutMs: timeout,
        cache: introspection.cache ?? new MemoryTokenCache<CachedIntrospection>({ max: introspection.cacheMax }),
        maxTtlMs: introspection.maxTtl,
        inactiveTtlMs: introspection.inactiveTtl,
        log: this.#log,
        now,
      });
    }
  }

  async authenticate(input: string | undefined | BearerRequest): Promise<Principal> {
    let token: string;
    if (input === undefined || typeof input === 'string') {
      token = this.resolveToken({ headers: input === undefined ? {} : { authorization: input } });
    } else {
      token = this.resolveToken(input);
    }
    return this.verifyToken(token);
  }

  resolveToken(request: BearerRequest): string {
    return resolveBearerToken(request, this.options.bearerMethods);
  }

  async verifyToken(token: string): Promise<Principal> {
    try {
      const hash = hashToken(token);
      const principal = await this.#verify(token, hash);
      await this.#checkRevocation(principal, hash, false);
      this.#tokens.set(principal, token);
      return principal;
    } catch (error) {
      throw this.#toAuthError(error);
    }
  }

  async authorize(principal: Principal, requirements: Requirement | readonly Requirement[]): Promise<Principal> {
    const list: readonly Requirement[] = Array.isArray(requirements) ? requirements : [requirements as Requirement];
    let current = principal;
    try {
      if (needsActiveToken(list)) {
        current = await this.#introspectPrincipal(principal, ACTIVE_TOKEN_MAX_AGE_MS, 'activeToken');
      } else if (needsScopes(list) && principal.tokenKind === 'jwt' && !hasScopeClaim(principal.claims as Record<string, unknown>) && this.#introspector) {
        const introspected = await this.#introspectPrincipal(principal, Number.POSITIVE_INFINITY, 'scopes');
        current = Object.freeze({ ...principal, scopes: introspected.scopes });
        const token = this.#tokens.get(principal);
        if (token !== undefined) this.#tokens.set(current, token);
      }
      for (const requirement of list) await evaluateRequirement(current, requirement);
      return current;
    } catch (error) {
      throw this.#toAuthError(error);
    }
  }

  challenge(error?: AuthError): string {
    return buildChallenge(error, { realm: this.options.realm });
  }

  toErrorResponse(error: unknown): ErrorResponse {
    return toErrorResponse(this.#toAuthError(error), { realm: this.options.realm });
  }

  async revoke(target: RevocationTarget): Promise<void> {
    if (!this.options.revocation) throw new TypeError('No "revocation" list is configured');
    await this.options.revocation.revoke(target);
  }

  record(request: AuditRequest, outcome: { principal?: Principal | undefined; error?: unknown; status?: number }): void {
    const sink = this.options.audit;
    const sampled = outcome.error !== undefined || this.#sampleAllowed();
    if (!telemetryEnabled() && !(sink && sampled)) return;
    const error = outcome.error === undefined ? undefined : this.#toAuthError(outcome.error);
    const event = auditEvent(request, { ...outcome, error }, this.options.now);
    if (telemetryEnabled()) recordTelemetry(event, performance.timeOrigin + request.startedAt);
    if (!sink || !sampled) return;
    try {
      sink(event);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : 'unknown error';
      this.#log.error('audit-sink', `The audit sink threw (${reason}); events may be missing`);
    }
  }

  #sampleAllowed(): boolean {
    const rate = this.options.auditAllowedRate;
    return rate === 1 || (rate > 0 && Math.random() < rate);
  }

  async #verify(token: string, hash: string): Promise<Principal> {
    const classified = classifyToken(token);
    if (classified.kind === 'jwt') {
      const cached = await this.#jwtCache?.get(hash);
      if (cached && this.#stillValid(cached.principal)) return cached.principal;
      const payload = await this.#verifier.verify(token, classified.header);
      const principal = this.#principal(payload, hash, 'jwks', 'jwt');
      this.#cacheJwt(hash, payload, principal);
      return principal;
    }
    if (!this.#introspector) {
      throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Opaque tokens are not accepted here; send a JWT access token');
    }
    const result = await this.#introspector.introspect(token, hash);
    if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
    return this.#principal(result.claims, hash, 'introspection', 'opaque');
  }

  async #introspectPrincipal(principal: Principal, maxAgeMs: number, why: string): Promise<Principal> {
    const token = this.#tokens.get(principal);
    if (!this.#introspector || token === undefined) {
      this.#log.error(`no-introspection-${why}`, `A route requires ${why === 'activeToken' ? 'an active token' : 'scopes'} check by introspection, but "introspection" is not configured`);
      throw new IssuerUnavailableError('Token introspection is not configured');
    }
    const hash = hashToken(token);
    const result = await this.#introspector.introspect(token, hash, maxAgeMs);
    if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
    const fresh = this.#principal(result.claims, hash, 'introspection', principal.tokenKind);
    await this.#checkRevocation(fresh, hash, true);
    this.#tokens.set(fresh, token);
    return fresh;
  }

  #principal(claims: Record<string, unknown>, hash: string, verifiedBy: VerifiedBy, tokenKind: TokenKind): Principal {
    return toPrincipal(
      claims,
      { verifiedBy, tokenKind, shortHash: shortTokenHash(hash) },
      { preset: this.options.claims, projectId: this.options.projectId, rolesClaim: this.options.rolesClaim, issuer: this.options.issuer },
    );
  }

  #cacheJwt(hash: string, payload: JWTPayload, principal: Principal): void {
    if (!this.#jwtCache || payload.exp === undefined) return;
    const ttl = payload.exp * 1000 - this.options.now();
    this.#jwtCache.set(hash, { principal }, ttl);
  }

  #stillValid(principal: Principal): boolean {
    return principal.expiresAt !== undefined && principal.expiresAt.getTime() > this.options.now() - this.options.clockTolerance * 1000;
  }

  /**
   * Checks the revocation list. When the list cannot be read, `failClosed` decides: 503
   * (routes that demand an active token, or `revocationUnavailable: 'fail-closed'`), or a
   * warning (once per interval) and the request goes on.
   */
  async #checkRevocation(principal: Principal, hash: string, failClosed: boolean): Promise<void> {
    const list = this.options.revocation;
    if (!list) return;
    const iat = principal.claims.iat;
    let revoked: boolean;
    try {
      revoked = await list.isRevoked({
        tokenHash: hash,
        jti: typeof principal.claims.jti === 'string' ? principal.claims.jti : undefined,
        subject: principal.subject,
        issuedAt: typeof iat === 'number' ? iat : undefined,
      });
    } catch (cause) {
      if (failClosed || this.options.revocationUnavailable === 'fail-closed') {
        this.#log.error('revocation-closed', 'The revocation list cannot be read; refusing with 503 where it must be checked');
        throw new IssuerUnavailableError('The revocation list is unavailable', { cause });
      }
      this.#log.warn('revocation-open', 'The revocation list cannot be read; going on without it (revocationUnavailable: "fail-open")');
      return;
    }
    if (revoked) throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'The token has been revoked');
  }

  #toAuthError(error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    this.#log.error('internal', `Unexpected error while checking a token (${reason}); answering 503`);
    return new IssuerUnavailableError('The token could not be checked', { cause: error });
  }
}

