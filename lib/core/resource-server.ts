import { decodeJwt } from 'jose';
import { auditEvent } from './audit.js';
import type { AuditRequest } from './audit.js';
import { loadTelemetry, recordTelemetry, telemetryActive } from './telemetry.js';
import { MAX_TOKEN_LENGTH, resolveBearerToken, resolveBearerTokenForLookup, resolveCredentials, validToken } from './bearer.js';
import type { BearerRequest, Credentials } from './bearer.js';
import { DpopVerifier } from './dpop.js';
import { buildChallenge, toErrorResponse } from './challenge.js';
import type { ChallengeOptions, ErrorResponse } from './challenge.js';
import { AuthError, InvalidTokenError, IssuerUnavailableError } from './errors.js';
import { ThrottledLog } from './logger.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions, ResourceServerOptions } from './options.js';
import { checkRequirement, evaluateRequirement, needsActiveToken, needsScopes } from './policy.js';
import type { Requirement } from './policy.js';
import { hasScopeClaim } from './principal.js';
import type { Principal } from './principal.js';
import type { RevocationTarget } from './revocation.js';
import { MemoryTokenCache } from './token-cache.js';
import { hashToken } from './token-hash.js';
import { classifyToken } from './token-kind.js';
import { TrustedIssuer } from './trusted-issuer.js';

/** Internal: the synchronous fast paths the framework adapters try first. */
export const FAST_PATH = Symbol.for('zitadel-resource-server.fast-path');
/** Internal: synchronous authorization, when no I/O is needed. */
export const FAST_AUTHORIZE = Symbol.for('zitadel-resource-server.fast-authorize');

/** The adapters' view of the fast paths (present on servers made by createResourceServer). */
export interface FastPaths {
  [FAST_PATH]?(request: BearerRequest): Principal | undefined;
  [FAST_AUTHORIZE]?(principal: Principal, requirements: readonly Requirement[]): Principal | undefined;
}

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
  /**
   * Authenticates an HTTP request: finds its token (Bearer, or DPoP when enabled), verifies
   * it, and checks DPoP binding (RFC 9449). What the framework adapters call.
   */
  verifyRequest(request: BearerRequest): Promise<Principal>;
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
  record(request: AuditRequest | (() => AuditRequest), outcome: { principal?: Principal | undefined; error?: unknown; status?: number }): void;
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
  readonly #issuers: readonly TrustedIssuer[];
  readonly #byIssuer: ReadonlyMap<string, TrustedIssuer>;
  readonly #jwtCache: MemoryTokenCache<Principal> | undefined;
  /** The token behind each principal, for later introspection. Memory only, never serialized. */
  readonly #tokens = new WeakMap<Principal, string>();
  readonly #challengeOptions: ChallengeOptions;
  /** Whether any issuer introspects: only then is the token kept for later introspection. */
  readonly #introspects: boolean;
  readonly #onlyIntrospector: TrustedIssuer | undefined;
  readonly #dpop: DpopVerifier | undefined;

  constructor(readonly options: ResolvedOptions) {
    void loadTelemetry();
    this.#challengeOptions = {
      realm: options.realm,
      resourceMetadata: options.resourceMetadata?.url,
      dpopAlgorithms: options.dpop?.algorithms,
      dpopOnly: options.dpop?.required,
    };
    this.#dpop = options.dpop
      ? new DpopVerifier({ ...options.dpop, clockTolerance: options.clockTolerance, now: options.now })
      : undefined;
    this.#log = new ThrottledLog(options.logger, 60_000, options.now);
    this.#issuers = options.issuers.map((config) => new TrustedIssuer(config, options, this.#log));
    this.#byIssuer = new Map(this.#issuers.map((issuer) => [issuer.config.issuer, issuer]));
    this.#jwtCache = options.jwtCacheMax > 0 ? new MemoryTokenCache<Principal>({ max: options.jwtCacheMax }) : undefined;
    this.#introspects = this.#issuers.some((issuer) => issuer.introspects);
    this.#onlyIntrospector = this.#issuers.length === 1 && this.#introspects ? this.#issuers[0] : undefined;
  }

  /**
   * The synchronous path the adapters try first: a token whose verdict is cached (a verified
   * JWT, or an introspection answer held in memory) needs no promise at all. `undefined`
   * means "take the async path" (a miss, DPoP, a revocation list). Throws an AuthError for a
   * malformed request or an inactive cached answer.
   */
  [FAST_PATH](request: BearerRequest): Principal | undefined {
    if (this.options.dpop || this.options.revocation) return undefined;
    try {
      const token = resolveBearerTokenForLookup(request, this.options.bearerMethods);
      if (token.length > MAX_TOKEN_LENGTH) validToken(token);
      const hash = hashToken(token);
      const cached = this.#jwtCache?.get(hash);
      let principal: Principal | undefined;
      if (cached && this.#stillValid(cached)) {
        // Only canonical base64url JWTs are ever cached: the same string passed the syntax check.
        principal = cached;
      } else {
        validToken(token);
        if (!this.#onlyIntrospector || token.includes('.')) return undefined;
        const result = this.#onlyIntrospector.cachedIntrospection(hash);
        if (result === undefined) return undefined;
        if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
        principal = this.#onlyIntrospector.opaquePrincipal(result, hash);
      }
      if (this.#introspects) this.#tokens.set(principal, token);
      return principal;
    } catch (error) {
      throw this.#toAuthError(error);
    }
  }

  /** Synchronous authorization when no I/O is needed; `undefined` means "call authorize()". */
  [FAST_AUTHORIZE](principal: Principal, requirements: readonly Requirement[]): Principal | undefined {
    if (needsActiveToken(requirements)) return undefined;
    if (this.#needsScopeEnrichment(principal, requirements)) return undefined;
    for (const requirement of requirements) if (requirement.predicates?.length) return undefined;
    try {
      for (const requirement of requirements) checkRequirement(principal, requirement);
    } catch (error) {
      throw this.#toAuthError(error);
    }
    return principal;
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

  async verifyRequest(request: BearerRequest): Promise<Principal> {
    const dpop = this.options.dpop;
    let credentials: Credentials | undefined;
    try {
      credentials = resolveCredentials(request, this.options.bearerMethods, dpop !== undefined);
      if (credentials.scheme === 'bearer' && dpop?.required) {
        throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'This API accepts DPoP-bound tokens only');
      }
      const principal = await this.verifyToken(credentials.token);
      const jkt = boundKey(principal.claims);
      if (credentials.scheme === 'dpop') {
        const thumbprint = await this.#dpop!.verify({
          proofs: headerValues(request, 'dpop'),
          method: request.method ?? 'GET',
          url: requestUrl(request),
          token: credentials.token,
        });
        if (jkt === undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The token is not DPoP-bound; send it as a Bearer token');
        if (jkt !== thumbprint) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The DPoP proof key does not match the token binding');
      } else if (jkt !== undefined) {
        throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'A DPoP-bound token must be sent with the DPoP scheme and a proof');
      }
      return principal;
    } catch (error) {
      const authError = this.#toAuthError(error);
      if (dpop && (credentials?.scheme === 'dpop' || authError.code === 'ERR_DPOP_BINDING_INVALID')) authError.challengeScheme = 'DPoP';
      throw authError;
    }
  }

  async verifyToken(token: string): Promise<Principal> {
    try {
      const hash = hashToken(token);
      const principal = await this.#verify(token, hash);
      await this.#checkRevocation(principal, hash, false);
      if (this.#introspects) this.#tokens.set(principal, token);
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
      } else if (this.#needsScopeEnrichment(principal, list)) {
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
    return buildChallenge(error, this.#challengeOptions);
  }

  toErrorResponse(error: unknown): ErrorResponse {
    return toErrorResponse(this.#toAuthError(error), this.#challengeOptions);
  }

  async revoke(target: RevocationTarget): Promise<void> {
    if (!this.options.revocation) throw new TypeError('No "revocation" list is configured');
    await this.options.revocation.revoke(target);
  }

  record(request: AuditRequest | (() => AuditRequest), outcome: { principal?: Principal | undefined; error?: unknown; status?: number }): void {
    const sink = this.options.audit?.enabled?.() === false ? undefined : this.options.audit;
    const sampled = outcome.error !== undefined || this.#sampleAllowed();
    const traced = telemetryActive();
    if (!traced && !(sink && sampled)) return;
    const auditRequest = typeof request === 'function' ? request() : request;
    const error = outcome.error === undefined ? undefined : this.#toAuthError(outcome.error);
    const event = auditEvent(auditRequest, { ...outcome, error }, this.options.now);
    if (traced) recordTelemetry(event, performance.timeOrigin + auditRequest.startedAt);
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
    // A verified JWT seen before costs a hash and a lookup: no parsing, no signature check.
    const cached = this.#jwtCache?.get(hash);
    if (cached && this.#stillValid(cached)) return cached;
    const classified = classifyToken(token);
    if (classified.kind === 'jwt') {
      const issuer = this.#issuerOfJwt(token);
      const principal = await issuer.verifyJwt(token, classified.header, hash);
      this.#cacheJwt(hash, principal);
      return principal;
    }
    return this.#introspectOpaque(token, hash);
  }

  /** The trusted issuer named by a JWT's `iss`; an unlisted issuer is refused without any network call. */
  #issuerOfJwt(token: string): TrustedIssuer {
    if (this.#issuers.length === 1) return this.#issuers[0]!;
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
    for (const issuer of this.#issuers) {
      if (!issuer.introspects) continue;
      asked = true;
      try {
        const result = await issuer.introspect(token, hash);
        if (result.active) return issuer.opaquePrincipal(result, hash);
      } catch (error) {
        if (this.#issuers.length === 1 || !(error instanceof IssuerUnavailableError)) throw error;
        unavailable ??= error;
      }
    }
    if (!asked) throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Opaque tokens are not accepted here; send a JWT access token');
    if (unavailable) throw unavailable;
    throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
  }

  /** The trusted issuer that vouched for a principal. */
  #issuerOf(principal: Principal): TrustedIssuer | undefined {
    return this.#byIssuer.get(principal.issuer) ?? (this.#issuers.length === 1 ? this.#issuers[0] : undefined);
  }

  /**
   * A JWT with no scope claim at all, on a route that needs scopes, whose issuer can
   * introspect: its scopes are learned by introspection (ZITADEL JWTs carry none).
   */
  #needsScopeEnrichment(principal: Principal, requirements: readonly Requirement[]): boolean {
    return (
      principal.tokenKind === 'jwt' &&
      needsScopes(requirements) &&
      !hasScopeClaim(principal.claims as Record<string, unknown>) &&
      this.#issuerOf(principal)?.introspects === true
    );
  }

  async #introspectPrincipal(principal: Principal, maxAgeMs: number, why: string): Promise<Principal> {
    const token = this.#tokens.get(principal);
    const issuer = this.#issuerOf(principal);
    if (!issuer?.introspects || token === undefined) {
      this.#log.error(`no-introspection-${why}`, `A route requires ${why === 'activeToken' ? 'an active token' : 'scopes'} check by introspection, but "introspection" is not configured`);
      throw new IssuerUnavailableError('Token introspection is not configured');
    }
    const hash = hashToken(token);
    const result = await issuer.introspect(token, hash, maxAgeMs);
    if (!result.active) throw new InvalidTokenError('ERR_TOKEN_INACTIVE', 'The token is not active');
    const fresh = issuer.principal(result.claims as Record<string, unknown>, hash, 'introspection', principal.tokenKind);
    await this.#checkRevocation(fresh, hash, true);
    this.#tokens.set(fresh, token);
    return fresh;
  }

  #cacheJwt(hash: string, principal: Principal): void {
    if (!this.#jwtCache || principal.expiresAt === undefined) return;
    this.#jwtCache.set(hash, principal, principal.expiresAt.getTime() - this.options.now());
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

/** `cnf.jkt` of a DPoP-bound token (RFC 9449 §6), from JWT claims or an introspection answer. */
function boundKey(claims: Readonly<Record<string, unknown>>): string | undefined {
  const cnf = claims.cnf;
  if (cnf === undefined) return undefined;
  if (cnf === null || typeof cnf !== 'object') throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token has a malformed cnf claim');
  const jkt = (cnf as Record<string, unknown>).jkt;
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string' || jkt === '') throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token has a malformed cnf.jkt claim');
  return jkt;
}

function headerValues(request: BearerRequest, name: string): readonly string[] {
  const distinct = request.headersDistinct?.[name];
  if (distinct) return distinct;
  const value = request.headers[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The URL as the client addressed it: protocol from the framework, host from the Host header. */
function requestUrl(request: BearerRequest): string {
  const host = request.headers.host;
  return `${request.protocol ?? 'http'}://${typeof host === 'string' ? host : 'localhost'}${request.url ?? '/'}`;
}
