import { Injectable } from '@nestjs/common';
import type { AuditEvent } from 'zitadel-resource-server';

/** Most events kept in memory: the log is a window, not a store. */
const CAPACITY = 1000;

/**
 * Collects the resource server's audit events (one per authorization decision) and hands
 * them to listeners, e.g. one that writes JSON lines to stdout. In production you would
 * ship them to your log pipeline instead; the events never contain a token.
 */
@Injectable()
export class AuditLog {
  readonly #events: AuditEvent[] = [];
  readonly #listeners = new Set<(event: AuditEvent) => void>();
  #total = 0;

  /** The function given to the resource server's `audit` option (an `AuditSink`). */
  readonly record = (event: AuditEvent): void => {
    this.#total += 1;
    this.#events.push(event);
    if (this.#events.length > CAPACITY) this.#events.shift();
    for (const listener of this.#listeners) listener(event);
  };

  /** Events recorded so far (the most recent {@link CAPACITY}). */
  events(): readonly AuditEvent[] {
    return [...this.#events];
  }

  /** How many events were ever recorded; a cursor for {@link since}. */
  get total(): number {
    return this.#total;
  }

  /** Events recorded after the cursor `total` was read. */
  since(total: number): readonly AuditEvent[] {
    const count = Math.min(this.#total - total, this.#events.length);
    return count <= 0 ? [] : this.#events.slice(-count);
  }

  /** Calls `listener` for every future event; returns a function that unsubscribes. */
  subscribe(listener: (event: AuditEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
