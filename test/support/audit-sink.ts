/**
 * An audit sink for tests: records every event and lets a test wait for the next ones by a
 * promise that the sink itself resolves (no sleeping, no polling).
 */
import type { AuditEvent } from '../../lib/core/audit.js';

export class AuditRecorder {
  /** Every event since the last {@link clear}. */
  readonly events: AuditEvent[] = [];
  /** Every event ever recorded. */
  readonly all: AuditEvent[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  /** The sink to pass as the `audit` option. */
  readonly sink = (event: AuditEvent): void => {
    this.events.push(event);
    this.all.push(event);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.events.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  clear(): void {
    this.events.length = 0;
  }

  /**
   * Resolves once `count` events were recorded since the last clear, then lets the event
   * loop run one more turn (I/O callbacks included) so that a stray extra event emitted
   * alongside would be recorded too. Rejects after `ms` (the event never came).
   */
  async waitFor(count: number, ms = 2000): Promise<AuditEvent[]> {
    if (this.events.length < count) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${count} audit event(s), got ${this.events.length}`)), ms);
        }),
      ]).finally(() => clearTimeout(timer));
    }
    await this.idle();
    return this.events;
  }

  /** Lets the event loop run two turns (I/O callbacks included): what is due by then is recorded. */
  async idle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
