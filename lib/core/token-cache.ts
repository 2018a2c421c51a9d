import { LRUCache } from 'lru-cache';
import { checkKeys, describeValue, fail, integerOption } from './option-checks.js';
import type { StoreHealth } from './operations/health.js';

/**
 * A store of verification results keyed by the SHA-256 of a token (never the token).
 * The memory implementation is the default; `zitadel-resource-server/redis` provides a
 * shared one. Methods may be synchronous or return promises.
 */
export interface TokenCache<V extends object> {
  get(key: string): V | undefined | Promise<V | undefined>;
  /** Stores `value` for at most `ttlMs` milliseconds. */
  set(key: string, value: V, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /** Optional, cheap and synchronous: whether the store behind the cache can be reached now (e.g. the Redis connection's state). */
  health?(): StoreHealth;
}

export interface MemoryTokenCacheOptions {
  /** Most entries held; the least recently used are dropped beyond it. Default 10,000. */
  readonly max?: number;
}

/**
 * Bounded in-memory {@link TokenCache} (an LRU with a TTL per entry): memory does not
 * grow with the number of distinct tokens seen.
 *
 * @example
 * const cache = new MemoryTokenCache({ max: 50_000 });
 */
export class MemoryTokenCache<V extends object> implements TokenCache<V> {
  readonly #lru: LRUCache<string, V>;

  constructor(options: MemoryTokenCacheOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(`MemoryTokenCache options must be an object { max? } (got ${describeValue(options)})`);
    checkKeys(options, ['max']);
    const max = integerOption(options.max, 'max', 10_000, 1, 100_000_000);
    this.#lru = new LRUCache<string, V>({ max, ttlAutopurge: false, allowStale: false });
  }

  /** Entries currently held (never more than `max`). */
  get size(): number {
    return this.#lru.size;
  }

  get(key: string): V | undefined {
    return this.#lru.get(key);
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#lru.set(key, value, { ttl: Math.ceil(ttlMs) });
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }
}
