import { AuthError, IssuerUnavailableError } from '../errors.js';
import type { FetchLike } from '../http.js';
import type { ThrottledLog } from '../logger.js';
import type { TokenCache } from '../token-cache.js';
import type { ClientAuth } from './client-auth.js';
import { IntrospectionClientError, introspectionRequest, processIntrospectionResponse } from './introspection-client.js';
import type { IntrospectionResult } from './introspection-client.js';

/** A cached introspection verdict and when it was fetched. */
export interface CachedIntrospection {
  readonly result: IntrospectionResult;
  /** Epoch ms. */
  readonly fetchedAt: number;
  /** Epoch ms after which the entry must not be used (checked here too, whatever the store does). */
  readonly expiresAt: number;
  /**
   * Who got this answer (issuer, introspecting client, audiences): a shared cache may hold
   * other APIs' answers, whose roles and audience checks are not ours.
   */
  readonly askedBy?: string;
}

export interface IntrospectorOptions {
  readonly resolveEndpoint: () => Promise<string>;
  readonly auth: ClientAuth;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly cache: TokenCache<CachedIntrospection>;
  /** Identifies this introspector's answers in a shared cache. */
  readonly askedBy: string;
  /** Longest time an active answer is reused (never past `exp`). */
  readonly maxTtlMs: number;
  /** How long an inactive answer is reused. */
  readonly inactiveTtlMs: number;
  readonly log: ThrottledLog;
  readonly now: () => number;
}

/**
 * RFC 7662 introspection with a cache keyed by the token's hash and single-flight:
 * concurrent lookups of one token share one upstream call, and share its failure too.
 * Every failure to get a trustworthy answer is an {@link IssuerUnavailableError} (503).
 */
export class Introspector {
  readonly #inFlight = new Map<string, Promise<IntrospectionResult>>();

  constructor(private readonly options: IntrospectorOptions) {}

  /**
   * The verdict for `token` (whose hash is `hash`). `maxAgeMs` bounds how old a cached
   * answer may be (routes that demand an active token pass 1 s).
   */
  async introspect(token: string, hash: string, maxAgeMs = Number.POSITIVE_INFINITY): Promise<IntrospectionResult> {
    const cached = await this.#cached(hash);
    const now = this.options.now();
    if (cached && cached.askedBy === this.options.askedBy && now < cached.expiresAt && now - cached.fetchedAt <= maxAgeMs) {
      return cached.result;
    }
    let pending = this.#inFlight.get(hash);
    if (!pending) {
      pending = this.#fetch(token, hash).finally(() => this.#inFlight.delete(hash));
      this.#inFlight.set(hash, pending);
    }
    return pending;
  }

  /**
   * The cached verdict, when the cache answers synchronously (the memory cache) and the
   * entry is usable; `undefined` otherwise (then call {@link introspect}).
   */
  cachedSync(hash: string): IntrospectionResult | undefined {
    let cached: CachedIntrospection | Promise<CachedIntrospection | undefined> | undefined;
    try {
      cached = this.options.cache.get(hash);
    } catch {
      return undefined;
    }
    if (cached === undefined || cached instanceof Promise) return undefined;
    const now = this.options.now();
    return cached.askedBy === this.options.askedBy && now < cached.expiresAt ? cached.result : undefined;
  }

  async #cached(hash: string): Promise<CachedIntrospection | undefined> {
    try {
      return await this.options.cache.get(hash);
    } catch {
      this.options.log.warn('introspection-cache', 'The introspection cache could not be read; asking the issuer');
      return undefined;
    }
  }

  async #fetch(token: string, hash: string): Promise<IntrospectionResult> {
    let result: IntrospectionResult;
    try {
      const endpoint = await this.options.resolveEndpoint();
      const response = await introspectionRequest(token, {
        endpoint,
        auth: this.options.auth,
        fetch: this.options.fetch,
        timeoutMs: this.options.timeoutMs,
      });
      result = processIntrospectionResponse(response, this.options);
    } catch (error) {
      throw this.#failure(error);
    }
    const fetchedAt = this.options.now();
    const ttl = this.#ttl(result, fetchedAt);
    try {
      if (ttl > 0) await this.options.cache.set(hash, { result, fetchedAt, expiresAt: fetchedAt + ttl, askedBy: this.options.askedBy }, ttl);
    } catch {
      this.options.log.warn('introspection-cache', 'The introspection cache could not be written');
    }
    return result;
  }

  #ttl(result: IntrospectionResult, now: number): number {
    if (!result.active) return this.options.inactiveTtlMs;
    const exp = result.claims.exp;
    const untilExp = typeof exp === 'number' ? exp * 1000 - now : Number.POSITIVE_INFINITY;
    return Math.min(this.options.maxTtlMs, untilExp);
  }

  #failure(error: unknown): AuthError {
    // InvalidTokenError (wrong iss or aud) stays a 401; discovery failures are already 503s.
    if (error instanceof AuthError) return error;
    if (error instanceof IntrospectionClientError) {
      this.options.log.error(
        'introspection-client',
        `Introspection is misconfigured: ${error.message}. Check the API application's credentials ` +
          '(introspection.auth); callers get 503 until this is fixed.',
      );
    } else {
      const reason = error instanceof Error ? error.message : 'unknown error';
      this.options.log.warn('introspection-upstream', `Token introspection failed: ${reason}`);
    }
    return new IssuerUnavailableError('Token introspection is unavailable', { cause: error });
  }
}
