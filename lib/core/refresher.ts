import { IssuerUnavailableError } from './errors.js';
import { failureCode, safeText } from './operations/upstream-report.js';
import type { FailureCode } from './operations/upstream-report.js';

/** The last failed attempt of a {@link Refresher}: when, and why (a stable code and words). */
export interface RefreshFailure {
  readonly code: FailureCode;
  readonly message: string;
  /** Epoch ms. */
  readonly at: number;
}

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
  #lastFailure: RefreshFailure | undefined;
  /** Epoch ms of the first failed attempt since the last success (undefined when not failing). */
  #failingSince: number | undefined;

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

  /** Epoch ms of the last successful load, `undefined` before the first. */
  get loadedAt(): number | undefined {
    return this.#value === undefined ? undefined : this.#loadedAt;
  }

  /** The last failed attempt (kept after a later success, for health snapshots). */
  get lastFailure(): RefreshFailure | undefined {
    return this.#lastFailure;
  }

  /** Epoch ms of the first failure since the last success; `undefined` when the last attempt succeeded. */
  get failingSince(): number | undefined {
    return this.#failingSince;
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
      this.#failingSince = undefined;
      return value;
    } catch (cause) {
      this.#failed = true;
      const at = this.now();
      this.#failingSince ??= at;
      this.#lastFailure = { code: failureCode(cause), message: cause instanceof Error ? safeText(cause.message, 300) : 'unknown error', at };
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
