import { LRUCache } from 'lru-cache';
import { AuthError, InvalidTokenError, IssuerUnavailableError } from '../errors.js';
import type { FetchLike, RequestObserver } from '../http.js';
import type { ThrottledLog } from '../logger.js';
import type { ResourceServerMetrics, ShedReason as CountedShedReason } from '../operations/metrics.js';
import { failureCode, safeText } from '../operations/upstream-report.js';
import type { FailureCode, UpstreamReporter } from '../operations/upstream-report.js';
import type { TokenCache } from '../token-cache.js';
import type { ClientAuth } from './client-auth.js';
import { IntrospectionGate } from './introspection-gate.js';
import { IntrospectionClientError, introspectionRequest, processIntrospectionResponse } from './introspection-client.js';
import type { IntrospectionResult } from './introspection-client.js';
import { DEFAULT_INTROSPECTION_LIMITS } from './introspection-options.js';
import type { ResolvedIntrospectionLimits } from './introspection-options.js';

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
  /** The introspecting client's id: an answer whose `aud` names it is for this API (ZITADEL's rule). */
  readonly clientId?: string | undefined;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly cache: TokenCache<CachedIntrospection>;
  /** Identifies this introspector's answers in a shared cache. */
  readonly askedBy: string;
  /** Longest time an active answer is reused (never past `exp`). */
  readonly maxTtlMs: number;
  /**
   * How long an inactive answer is reused. Keep it short: ZITADEL answers
   * `{"active": false}` for its own internal errors too, not only for inactive tokens.
   */
  readonly inactiveTtlMs: number;
  /** Concurrency, new-token rate and misconfiguration backoff. Default {@link DEFAULT_INTROSPECTION_LIMITS}. */
  readonly limits?: ResolvedIntrospectionLimits | undefined;
  /**
   * A cheap check of the issuer's token formats: a token failing it is refused (401
   * `ERR_TOKEN_MALFORMED`) before any cache read or upstream call.
   */
  readonly hasExpectedShape?: ((token: string) => boolean) | undefined;
  /** Most tokens remembered as seen active (they get priority when introspection is busy). Default 10,000. */
  readonly knownMax?: number | undefined;
  readonly log: ThrottledLog;
  /** Reports failures of the endpoint (log line and count); without it, a plain warning. */
  readonly reporter?: UpstreamReporter | undefined;
  /** Counts cache lookups and shed calls. */
  readonly metrics?: ResourceServerMetrics | undefined;
  /** Sees each call to the endpoint (metrics). */
  readonly observe?: RequestObserver | undefined;
  readonly now: () => number;
}

/** The state of introspection at one issuer, for health snapshots. Times are epoch ms. */
export interface IntrospectionState {
  /** The endpoint last called (or resolved), when known. */
  readonly endpoint: string | undefined;
  /** `accepted`: the last answer took this API's credentials; `refused`: it refused them; `unknown`: no answer yet. */
  readonly credentials: 'unknown' | 'accepted' | 'refused';
  readonly lastAcceptedAt: number | undefined;
  readonly lastRefusedAt: number | undefined;
  /** Until when no call is made after a refusal of the credentials (`introspection.clientErrorBackoff`). */
  readonly backoffUntil: number | undefined;
  readonly lastFailure: { readonly code: FailureCode; readonly message: string; readonly at: number } | undefined;
  /** First failure since the last usable answer; `undefined` when the last call was answered. */
  readonly failingSince: number | undefined;
  /** Calls refused without being made since start, by reason. */
  readonly shed: Readonly<Record<CountedShedReason, number>>;
  /** Calls in flight now. */
  readonly inFlight: number;
}

/** Per-call hints of {@link Introspector.introspect}. */
export interface IntrospectOptions {
  /**
   * The caller already trusts this token (a JWT verified locally, or a principal this
   * process built before): it gets the priority of a known token when introspection is busy.
   */
  readonly known?: boolean;
}

/** How long a token answered active stays "known" at most (priority under load), ms. */
const KNOWN_FOR_MS = 24 * 60 * 60 * 1000;

/**
 * RFC 7662 introspection with a cache keyed by the token's hash and single-flight:
 * concurrent lookups of one token share one upstream call, and share its failure too.
 * Every failure to get a trustworthy answer is an {@link IssuerUnavailableError} (503).
 *
 * Upstream calls go through an {@link IntrospectionGate} (bounded concurrency, a rate bound
 * on never-seen tokens, priority for known ones), and stop for `clientErrorBackoff` after
 * the endpoint refused this API's credentials: then every caller that needs an upstream
 * answer gets 503 with `Retry-After` = the time left, and a single call probes afterwards.
 */
export class Introspector {
  readonly #inFlight = new Map<string, Promise<IntrospectionResult>>();
  readonly #gate: IntrospectionGate;
  readonly #limits: ResolvedIntrospectionLimits;
  /** Hashes of tokens answered active → until when they count as known (epoch ms). */
  readonly #known: LRUCache<string, number>;
  #clientErrorUntil = Number.NEGATIVE_INFINITY;
  #probing = false;
  #endpoint: string | undefined;
  #credentials: IntrospectionState['credentials'] = 'unknown';
  #lastAcceptedAt: number | undefined;
  #lastRefusedAt: number | undefined;
  #lastFailure: IntrospectionState['lastFailure'];
  #failingSince: number | undefined;
  readonly #shed: Record<CountedShedReason, number> = { concurrency: 0, rate: 0, queue: 0, backoff: 0 };

  constructor(private readonly options: IntrospectorOptions) {
    this.#limits = options.limits ?? DEFAULT_INTROSPECTION_LIMITS;
    this.#known = new LRUCache<string, number>({ max: options.knownMax ?? 10_000 });
    this.#gate = new IntrospectionGate({
      maxConcurrent: this.#limits.maxConcurrent,
      maxNewPerSecond: this.#limits.maxNewPerSecond,
      maxWaitMs: options.timeoutMs,
      now: options.now,
      onShed: (reason) => {
        this.#countShed(reason);
        options.log.warn(
          `introspection-shed ${options.issuer}`,
          `Introspection at ${options.issuer} is refusing never-seen tokens with 503 (${SHED_TEXT[reason]}); ` +
            'this is what a flood of made-up tokens looks like. If the traffic is legitimate, raise "introspection.maxConcurrent" ' +
            `(now ${this.#limits.maxConcurrent}) or "introspection.maxNewPerSecond" (now ${this.#limits.maxNewPerSecond}).`,
        );
      },
    });
  }

  /** Where introspection stands: credentials accepted or refused, the last failure, shed counts. */
  get state(): IntrospectionState {
    return {
      endpoint: this.#endpoint,
      credentials: this.#credentials,
      lastAcceptedAt: this.#lastAcceptedAt,
      lastRefusedAt: this.#lastRefusedAt,
      backoffUntil: this.#clientErrorUntil > this.options.now() ? this.#clientErrorUntil : undefined,
      lastFailure: this.#lastFailure,
      failingSince: this.#failingSince,
      shed: { ...this.#shed },
      inFlight: this.#gate.active,
    };
  }

  /**
   * Resolves the endpoint (explicit, or from discovery) without calling it: for warm-up.
   * Rejects with the discovery's 503-class error when it is not known.
   */
  async resolveEndpoint(): Promise<string> {
    const endpoint = await this.options.resolveEndpoint();
    this.#endpoint = endpoint;
    return endpoint;
  }

  #countShed(reason: CountedShedReason): void {
    this.#shed[reason] += 1;
    this.options.metrics?.shed(reason);
  }

  /**
   * The verdict for `token` (whose hash is `hash`). `maxAgeMs` bounds how old a cached
   * answer may be (routes that demand an active token pass 1 s).
   */
  async introspect(token: string, hash: string, maxAgeMs = Number.POSITIVE_INFINITY, hints: IntrospectOptions = {}): Promise<IntrospectionResult> {
    if (this.options.hasExpectedShape && !this.options.hasExpectedShape(token)) {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token is malformed');
    }
    const cached = await this.#cached(hash);
    const now = this.options.now();
    if (cached && cached.askedBy === this.options.askedBy && now < cached.expiresAt && now - cached.fetchedAt <= maxAgeMs) {
      this.#counted(token, true);
      return cached.result;
    }
    this.options.metrics?.cacheLookup('introspection', false);
    let pending = this.#inFlight.get(hash);
    if (!pending) {
      pending = this.#fetch(token, hash, hints.known === true).finally(() => this.#inFlight.delete(hash));
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
    if (cached.askedBy !== this.options.askedBy || now >= cached.expiresAt) return undefined;
    // Misses are counted by introspect(), which follows.
    this.#counted(undefined, true);
    return cached.result;
  }

  /** Counts a verdict from the cache (hit) or from the endpoint, for the metrics. */
  #counted(token: string | undefined, hit: boolean): void {
    const metrics = this.options.metrics;
    if (metrics === undefined || !metrics.active) return;
    // cachedSync() serves opaque tokens only; JWTs come here for scopes or an active-token check.
    const kind = token !== undefined && token.includes('.') ? 'jwt' : 'opaque';
    if (hit) metrics.cacheLookup('introspection', true);
    metrics.verification(hit ? 'cached' : 'introspection', kind);
  }

  async #cached(hash: string): Promise<CachedIntrospection | undefined> {
    try {
      return await this.options.cache.get(hash);
    } catch {
      this.options.log.warn('introspection-cache', 'The introspection cache could not be read; asking the issuer');
      return undefined;
    }
  }

  #isKnown(hash: string): boolean {
    const until = this.#known.get(hash);
    return until !== undefined && this.options.now() < until;
  }

  async #fetch(token: string, hash: string, known: boolean): Promise<IntrospectionResult> {
    const probe = this.#enterClientErrorBackoff();
    let result: IntrospectionResult;
    try {
      const release = await this.#gate.acquire(known || this.#isKnown(hash));
      try {
        const endpoint = await this.resolveEndpoint();
        this.#counted(token, false);
        const response = await introspectionRequest(token, {
          endpoint,
          auth: this.options.auth,
          fetch: this.options.fetch,
          timeoutMs: this.options.timeoutMs,
          observe: this.options.observe,
        });
        result = processIntrospectionResponse(response, this.options);
        this.#clientErrorUntil = Number.NEGATIVE_INFINITY;
        this.#answered();
      } catch (error) {
        // The probe was answered without refusing our credentials: the pause is over.
        if (probe && !(error instanceof IntrospectionClientError)) this.#clientErrorUntil = Number.NEGATIVE_INFINITY;
        throw this.#failure(error);
      } finally {
        release();
      }
    } finally {
      if (probe) this.#probing = false;
    }
    const fetchedAt = this.options.now();
    const ttl = this.#ttl(result, fetchedAt);
    if (result.active) this.#known.set(hash, fetchedAt + Math.min(KNOWN_FOR_MS, untilExp(result, fetchedAt)));
    try {
      if (ttl > 0) await this.options.cache.set(hash, { result, fetchedAt, expiresAt: fetchedAt + ttl, askedBy: this.options.askedBy }, ttl);
    } catch {
      this.options.log.warn('introspection-cache', 'The introspection cache could not be written');
    }
    return result;
  }

  /**
   * Throws while the endpoint is known to refuse our credentials. Once the backoff is over,
   * exactly one call (the probe) goes through; others get 503 until it is answered.
   * Returns whether this call is the probe.
   */
  #enterClientErrorBackoff(): boolean {
    if (this.#clientErrorUntil === Number.NEGATIVE_INFINITY) return false;
    const remaining = this.#clientErrorUntil - this.options.now();
    if (remaining > 0) {
      this.#countShed('backoff');
      throw misconfigured(remaining);
    }
    if (this.#probing) {
      this.#countShed('backoff');
      throw misconfigured(1000);
    }
    this.#probing = true;
    return true;
  }

  #ttl(result: IntrospectionResult, now: number): number {
    if (!result.active) return this.options.inactiveTtlMs;
    return Math.min(this.options.maxTtlMs, untilExp(result, now));
  }

  /** The endpoint answered with our credentials accepted (active or not, or a claim refused). */
  #answered(): void {
    this.#credentials = 'accepted';
    this.#lastAcceptedAt = this.options.now();
    this.#failingSince = undefined;
  }

  #failure(error: unknown): AuthError {
    // A 401 for the token (wrong iss or aud): the endpoint answered, with our credentials accepted.
    if (error instanceof InvalidTokenError) {
      this.#answered();
      return error;
    }
    // Discovery failures are already 503s, reported by discovery.
    if (error instanceof AuthError) return error;
    const now = this.options.now();
    this.#lastFailure = { code: failureCode(error), message: error instanceof Error ? safeText(error.message, 300) : 'unknown error', at: now };
    this.#failingSince ??= now;
    if (error instanceof IntrospectionClientError) {
      const backoff = this.#limits.clientErrorBackoff;
      this.#clientErrorUntil = now + backoff;
      this.#credentials = 'refused';
      this.#lastRefusedAt = now;
      this.options.metrics?.upstreamError('introspection', this.#endpoint, error.code);
      const client = this.options.clientId === undefined ? '' : ` (client id ${JSON.stringify(this.options.clientId)})`;
      const at = this.#endpoint === undefined ? '' : ` at ${safeText(this.#endpoint, 300)}`;
      this.options.log.error(
        `introspection-client ${this.options.issuer}`,
        `Introspection is misconfigured: ${safeText(error.message, 300)}${at} [${error.code}, HTTP ${error.status ?? '?'}]. Fix "introspection.auth" for ${this.options.issuer}: ` +
          `the client id and secret, or the key file, of the API application${client} as shown in ZITADEL. ` +
          `No introspection call is made for ${Math.round(backoff / 1000)} s ("introspection.clientErrorBackoff"); callers get 503 with Retry-After until this is fixed.`,
      );
      return misconfigured(backoff, error);
    }
    if (this.options.reporter !== undefined) {
      this.options.reporter.report({
        kind: 'introspection',
        subject: `Token introspection at ${this.options.issuer} failed`,
        endpoint: this.#endpoint,
        cause: error,
        consequence: 'callers whose token needs introspection (opaque tokens, active-token routes, scope enrichment) get 503 with Retry-After: 1; each new token tries again',
      });
    } else {
      const reason = error instanceof Error ? error.message : 'unknown error';
      this.options.log.warn('introspection-upstream', `Token introspection failed: ${reason}`);
    }
    return new IssuerUnavailableError('Token introspection is unavailable', { cause: error });
  }
}

const SHED_TEXT: Readonly<Record<string, string>> = {
  concurrency: 'too many calls in flight',
  rate: 'too many never-seen tokens per second',
  queue: 'known tokens waited too long for a free slot',
};

function untilExp(result: IntrospectionResult, now: number): number {
  const exp = result.active ? result.claims.exp : undefined;
  return typeof exp === 'number' ? exp * 1000 - now : Number.POSITIVE_INFINITY;
}

function misconfigured(retryAfterMs: number, cause?: unknown): IssuerUnavailableError {
  return new IssuerUnavailableError('Token introspection is unavailable', { cause, retryAfterMs });
}
