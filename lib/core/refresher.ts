import { IssuerUnavailableError } from './errors.js';

/**
 * Holds one value loaded from the issuer (discovery document, JWKS) and refreshes it:
 * concurrent refreshes share one upstream call, and attempts are spaced by a cooldown so
 * that a flood of requests cannot become a flood of upstream calls.
 */
export class Refresher<T> {
  #value: T | undefined;
  #attemptAt = Number.NEGATIVE_INFINITY;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #failed = false;
  /** What the last failure said, when it said more than "unavailable" (e.g. a refused endpoint). */
  #failure: string | undefined;
  #pending: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly what: string,
    private readonly cooldownMs: number,
    private readonly now: () => number,
  ) {}

  /** The last value loaded, if any. */
  get value(): T | undefined {
    return this.#value;
  }

  /** Milliseconds since the last successful load (Infinity if none). */
  get age(): number {
    return this.now() - this.#loadedAt;
  }

  /** True while a refresh is in flight. */
  get loading(): boolean {
    return this.#pending !== undefined;
  }

  /** True when the cooldown since the last attempt (success or failure) is over. */
  get mayAttempt(): boolean {
    return this.now() - this.#attemptAt >= this.cooldownMs;
  }

  /** Milliseconds until the cooldown since the last attempt is over (0 when it is). */
  get remainingCooldownMs(): number {
    return Math.max(0, this.cooldownMs - (this.now() - this.#attemptAt));
  }

  /** True when the last attempt failed. */
  get failing(): boolean {
    return this.#failed;
  }

  /**
   * The value, loading it on first use. After a failed attempt no new one is made until the
   * cooldown is over: callers get the 503-class error at once instead of another upstream call.
   */
  current(): T | Promise<T> {
    if (this.#value !== undefined) return this.#value;
    if (!this.loading && this.#failed && !this.mayAttempt) throw this.unavailable();
    return this.refresh();
  }

  /** Loads now, or joins the load in flight. Rejects with {@link IssuerUnavailableError}. */
  refresh(): Promise<T> {
    this.#pending ??= this.#run();
    return this.#pending;
  }

  /** The error to answer while the issuer is known to be failing. */
  unavailable(): IssuerUnavailableError {
    return new IssuerUnavailableError(this.#failure ?? `The issuer's ${this.what} is unavailable`, { retryAfterMs: this.remainingCooldownMs });
  }

  async #run(): Promise<T> {
    this.#attemptAt = this.now();
    try {
      const value = await this.load();
      this.#value = value;
      this.#loadedAt = this.now();
      this.#failed = false;
      this.#failure = undefined;
      return value;
    } catch (cause) {
      this.#failed = true;
      // A 503 that already says why (e.g. the discovery document names a refused endpoint) keeps its words.
      this.#failure = cause instanceof IssuerUnavailableError ? cause.message : undefined;
      throw new IssuerUnavailableError(this.#failure ?? `The issuer's ${this.what} is unavailable`, {
        cause,
        retryAfterMs: this.cooldownMs,
      });
    } finally {
      this.#pending = undefined;
    }
  }
}
