import { createLocalJWKSet, errors } from 'jose';
import type { JWSHeaderParameters, JSONWebKeySet } from 'jose';
import { maxAgeFromCacheControl } from './cache-control.js';
import { InvalidTokenError } from './errors.js';
import { requestJson, UpstreamError } from './http.js';
import type { FetchLike, RequestObserver } from './http.js';
import type { JwksRefreshReason } from './operations/metrics.js';
import { Refresher } from './refresher.js';
import type { RefreshFailure } from './refresher.js';

type KeySelector = ReturnType<typeof createLocalJWKSet>;
/** A verification key as jose imports it. */
export type VerificationKey = Awaited<ReturnType<KeySelector>>;

export interface JwksOptions {
  /** Where the JWKS lives (explicit, or from discovery). */
  readonly resolveUri: () => Promise<string>;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  /** Least time between two fetches (refresh on unknown kid, retry after failure). */
  readonly cooldownMs: number;
  /**
   * Longest time the keys are used before they are refreshed in the background (stale
   * keys are kept if that fails). The issuer's `Cache-Control: max-age` shortens it, never
   * below the cooldown.
   */
  readonly maxAgeMs: number;
  readonly now: () => number;
  /**
   * Called when the JWKS cannot be fetched or is not a key set (not when its URL cannot be
   * resolved: discovery reports that itself). `hadKeys`: keys loaded before are still in use.
   */
  readonly onFailure?: (url: string, cause: unknown, hadKeys: boolean) => void;
  /** Called once per fetch, with why it was made and whether it succeeded (metrics). */
  readonly onFetched?: (url: string, reason: JwksRefreshReason, success: boolean) => void;
  /** Sees each call to the JWKS endpoint (metrics). */
  readonly observe?: RequestObserver;
}

/** The state of the keys, for health snapshots. */
export interface JwksState {
  /** The JWKS URL last fetched (or to fetch), when known. */
  readonly url: string | undefined;
  /** Epoch ms of the last successful fetch, `undefined` before the first. */
  readonly loadedAt: number | undefined;
  /** How long keys are used before a background refresh, ms. */
  readonly freshForMs: number;
  readonly lastFailure: RefreshFailure | undefined;
  /** Epoch ms of the first failure since the last success, `undefined` when the last fetch succeeded. */
  readonly failingSince: number | undefined;
}

/**
 * The issuer's signing keys, fetched lazily and kept. An unknown `kid` triggers at most one
 * refresh per cooldown (concurrent ones share it), so rotated keys are picked up within
 * seconds while a flood of random kids costs at most one fetch per cooldown. When the
 * JWKS cannot be fetched the cached keys keep working; a decision that needs a fetch
 * fails with a 503-class error.
 *
 * Freshness follows the issuer's `Cache-Control` (ZITADEL serves its JWKS with
 * `max-age=300, must-revalidate`: `internal/api/oidc/key.go`, `OIDC.JWKSCacheControlMaxAge`),
 * bounded below by the cooldown (and 1 s) and above by `maxAgeMs`: `no-store` or
 * `max-age=0` cannot turn every request into a fetch, and a day-long `max-age` cannot keep
 * a removed key alive past `maxAgeMs`. Without the header, `maxAgeMs` applies. Once stale,
 * the keys are refreshed in the background on the next request and keep verifying
 * meanwhile (and if the refresh fails): `must-revalidate` is honoured as "refresh before
 * trusting new information", not as "refuse tokens until revalidated".
 */
export class JwksKeyStore {
  readonly #refresher: Refresher<KeySelector>;
  #freshForMs: number;
  #url: string | undefined;
  /** Why the next fetch is made (read when it starts). */
  #reason: JwksRefreshReason = 'initial';

  constructor(private readonly options: JwksOptions) {
    this.#refresher = new Refresher(() => this.#load(), 'JWKS', options.cooldownMs, options.now);
    this.#freshForMs = options.maxAgeMs;
  }

  /** Where the keys come from, whether they are loaded, and the last failure. */
  get state(): JwksState {
    const refresher = this.#refresher;
    return { url: this.#url, loadedAt: refresher.loadedAt, freshForMs: this.#freshForMs, lastFailure: refresher.lastFailure, failingSince: refresher.failingSince };
  }

  /**
   * Loads the keys when none are loaded, or refreshes them when they are stale, within the
   * cooldown (a failed fetch is not retried before it is over). Never rejects: the outcome
   * is in {@link state} (and the failure was reported through `onFailure`).
   */
  async warmUp(): Promise<void> {
    const refresher = this.#refresher;
    if (refresher.value !== undefined && refresher.age < this.#freshForMs) return;
    if (!refresher.loading && !refresher.mayAttempt) return;
    this.#reason = 'warm_up';
    await refresher.refresh().catch(() => undefined);
  }

  /** How long the keys last fetched are used before a background refresh, ms. */
  get freshForMs(): number {
    return this.#freshForMs;
  }

  /** The keys that may have signed a token with this header (usually one). */
  async keysFor(header: JWSHeaderParameters): Promise<VerificationKey[]> {
    const refresher = this.#refresher;
    const loaded = refresher.value !== undefined;
    if (!loaded && !refresher.loading) this.#reason = 'initial';
    let selector = await refresher.current();
    if (loaded && refresher.age >= this.#freshForMs && refresher.mayAttempt && !refresher.loading) {
      this.#reason = 'stale';
      // Reported through onFailure; the stale keys stay in use.
      refresher.refresh().catch(() => undefined);
    }
    try {
      return await select(selector, header);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
    }
    if (refresher.loading || refresher.mayAttempt) {
      if (!refresher.loading) this.#reason = 'unknown_kid';
      selector = await refresher.refresh();
    } else if (refresher.failing) {
      throw refresher.unavailable();
    } else {
      throw keyNotFound();
    }
    try {
      return await select(selector, header);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw keyNotFound();
      throw error;
    }
  }

  async #load(): Promise<KeySelector> {
    const hadKeys = this.#refresher.value !== undefined;
    const reason = this.#reason;
    // Discovery reports its own failures.
    const url = await this.options.resolveUri();
    this.#url = url;
    try {
      const selector = await this.#fetch(url);
      this.options.onFetched?.(url, reason, true);
      return selector;
    } catch (cause) {
      this.options.onFetched?.(url, reason, false);
      this.options.onFailure?.(url, cause, hadKeys);
      throw cause;
    }
  }

  async #fetch(url: string): Promise<KeySelector> {
    const response = await requestJson({
      url,
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      maxBytes: 512 * 1024,
      observe: this.options.observe,
    });
    if (response.status !== 200) throw new UpstreamError(`JWKS answered HTTP ${response.status}`, response.status);
    if (response.body === undefined) throw new UpstreamError('JWKS answered 200 without JSON', response.status, undefined, 'ERR_UPSTREAM_RESPONSE');
    let selector: KeySelector;
    try {
      selector = createLocalJWKSet(response.body as JSONWebKeySet);
    } catch {
      throw new UpstreamError('JWKS answered JSON that is not a key set ({"keys": [...]})', response.status, undefined, 'ERR_UPSTREAM_RESPONSE');
    }
    this.#freshForMs = freshness(maxAgeFromCacheControl(response.headers.get('cache-control')), this.options);
    return selector;
  }
}

/** The issuer's max-age, clamped to [max(cooldown, 1 s), maxAge]; `maxAge` without one. */
function freshness(maxAge: number | undefined, options: JwksOptions): number {
  if (maxAge === undefined) return options.maxAgeMs;
  const floor = Math.min(Math.max(options.cooldownMs, 1000), options.maxAgeMs);
  return Math.min(Math.max(maxAge, floor), options.maxAgeMs);
}

async function select(selector: KeySelector, header: JWSHeaderParameters): Promise<VerificationKey[]> {
  try {
    return [await selector(header)];
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    const keys: VerificationKey[] = [];
    for await (const key of error as AsyncIterable<VerificationKey>) keys.push(key);
    return keys;
  }
}

function keyNotFound(): InvalidTokenError {
  return new InvalidTokenError('ERR_KEY_NOT_FOUND', 'The token was signed with an unknown key');
}
