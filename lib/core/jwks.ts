import { createLocalJWKSet, errors } from 'jose';
import type { JWSHeaderParameters, JSONWebKeySet } from 'jose';
import { maxAgeFromCacheControl } from './cache-control.js';
import { InvalidTokenError } from './errors.js';
import { requestJson, UpstreamError } from './http.js';
import type { FetchLike } from './http.js';
import { Refresher } from './refresher.js';

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
  /** Called when a background refresh fails (the stale keys stay in use). */
  readonly onBackgroundError: (error: unknown) => void;
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

  constructor(private readonly options: JwksOptions) {
    this.#refresher = new Refresher(() => this.#load(), 'JWKS', options.cooldownMs, options.now);
    this.#freshForMs = options.maxAgeMs;
  }

  /** How long the keys last fetched are used before a background refresh, ms. */
  get freshForMs(): number {
    return this.#freshForMs;
  }

  /** The keys that may have signed a token with this header (usually one). */
  async keysFor(header: JWSHeaderParameters): Promise<VerificationKey[]> {
    const refresher = this.#refresher;
    const loaded = refresher.value !== undefined;
    let selector = await refresher.current();
    if (loaded && refresher.age >= this.#freshForMs && refresher.mayAttempt && !refresher.loading) {
      refresher.refresh().catch(this.options.onBackgroundError);
    }
    try {
      return await select(selector, header);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
    }
    if (refresher.loading || refresher.mayAttempt) {
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
    const url = await this.options.resolveUri();
    const response = await requestJson({
      url,
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      maxBytes: 512 * 1024,
    });
    if (response.status !== 200 || response.body === undefined) {
      throw new UpstreamError(`JWKS answered ${response.status} without JSON`, response.status);
    }
    const selector = createLocalJWKSet(response.body as JSONWebKeySet);
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
