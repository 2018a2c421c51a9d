import { IssuerUnavailableError } from '../errors.js';

/** Why a never-seen token was refused without an upstream call. */
export type ShedReason = 'concurrency' | 'rate' | 'queue';

export interface IntrospectionGateOptions {
  /** Most upstream calls in flight at once. */
  readonly maxConcurrent: number;
  /** Most calls for never-seen tokens per second (a token bucket holding one second's worth). */
  readonly maxNewPerSecond: number;
  /** Longest time a known token waits for a free slot, ms (the upstream timeout is a good bound). */
  readonly maxWaitMs: number;
  readonly now: () => number;
  /** Called whenever a call is refused (for one throttled operator log line). */
  readonly onShed?: (reason: ShedReason) => void;
}

/** Ends one admitted upstream call; call it exactly once, when the call is over. */
export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly refuse: (error: IssuerUnavailableError) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Admission control for introspection calls to one issuer, so that a flood of made-up
 * tokens cannot become a flood of calls made with this API's credentials, nor starve the
 * callers the API already knows:
 *
 * - at most `maxConcurrent` calls in flight;
 * - a never-seen token may use only the slots above a reserve (a quarter of the cap, at
 *   least one when the cap is above 1) and is refused at once (503, `Retry-After: 1`) when
 *   they are busy — never queued, so junk cannot pile up in memory;
 * - never-seen tokens also spend a token bucket refilled at `maxNewPerSecond`; when it is
 *   empty they are refused with `Retry-After` = the time until the next token;
 * - a known token (seen active before, or already verified) may use every slot, and waits
 *   in a bounded FIFO queue (at most `maxWaitMs`) when all are busy.
 *
 * Refusals are {@link IssuerUnavailableError}s with `retryAfterMs`, so the pipeline answers
 * them like any other 503.
 */
export class IntrospectionGate {
  readonly #reserve: number;
  readonly #maxQueue: number;
  readonly #waiting: Waiter[] = [];
  #active = 0;
  #tokens: number;
  #refilledAt: number;

  constructor(private readonly options: IntrospectionGateOptions) {
    this.#reserve = options.maxConcurrent === 1 ? 0 : Math.max(1, Math.floor(options.maxConcurrent / 4));
    this.#maxQueue = Math.max(64, options.maxConcurrent * 16);
    this.#tokens = options.maxNewPerSecond;
    this.#refilledAt = options.now();
  }

  /** Calls in flight now. */
  get active(): number {
    return this.#active;
  }

  /** Known tokens waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Admits one upstream call for a token that is `known` (seen active before, or verified
   * locally) or never seen. Resolves with the function that ends the call; rejects with an
   * {@link IssuerUnavailableError} when the call is refused.
   */
  acquire(known: boolean): Promise<Release> {
    const { maxConcurrent } = this.options;
    if (known) {
      if (this.#active < maxConcurrent && this.#waiting.length === 0) return Promise.resolve(this.#admit());
      if (this.#waiting.length >= this.#maxQueue) return Promise.reject(this.#shed('queue', 1000));
      return new Promise<Release>((grant, refuse) => {
        const waiter: Waiter = { grant, refuse };
        waiter.timer = setTimeout(() => {
          const index = this.#waiting.indexOf(waiter);
          if (index !== -1) this.#waiting.splice(index, 1);
          refuse(this.#shed('queue', 1000));
        }, this.options.maxWaitMs);
        waiter.timer.unref?.();
        this.#waiting.push(waiter);
      });
    }
    if (this.#active >= maxConcurrent - this.#reserve || this.#waiting.length > 0) {
      return Promise.reject(this.#shed('concurrency', 1000));
    }
    this.#refill();
    if (this.#tokens < 1) {
      const waitMs = ((1 - this.#tokens) / this.options.maxNewPerSecond) * 1000;
      return Promise.reject(this.#shed('rate', waitMs));
    }
    this.#tokens -= 1;
    return Promise.resolve(this.#admit());
  }

  #admit(): Release {
    this.#active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      this.#next();
    };
  }

  #next(): void {
    while (this.#waiting.length > 0 && this.#active < this.options.maxConcurrent) {
      const waiter = this.#waiting.shift()!;
      clearTimeout(waiter.timer);
      waiter.grant(this.#admit());
    }
  }

  #refill(): void {
    const now = this.options.now();
    const rate = this.options.maxNewPerSecond;
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(rate, this.#tokens + (elapsed * rate) / 1000);
    this.#refilledAt = now;
  }

  #shed(reason: ShedReason, retryAfterMs: number): IssuerUnavailableError {
    this.options.onShed?.(reason);
    return new IssuerUnavailableError('Token introspection is busy; retry later', { retryAfterMs });
  }
}
