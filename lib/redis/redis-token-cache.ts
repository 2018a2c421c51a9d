import { LRUCache } from 'lru-cache';
import type { CachedIntrospection } from '../core/introspection/introspector.js';
import { ThrottledLog } from '../core/logger.js';
import type { TokenCache } from '../core/token-cache.js';
import { describeError, RedisCommandRunner } from './command-runner.js';
import { integerOption, resolveConnection } from './options.js';
import type { RedisConnectionOptions } from './options.js';

/** Options of {@link RedisTokenCache}. */
export interface RedisTokenCacheOptions extends RedisConnectionOptions {
  /**
   * Longest time an entry is served from this instance's memory (L1) before Redis is asked
   * again, ms: bounds how long instances can disagree after a `delete`. Default 5,000;
   * 0 turns the local tier off; at most 60,000.
   */
  readonly l1Ttl?: number;
  /** Most entries held in memory (L1). Default 10,000. */
  readonly l1Max?: number;
}

/** What is stored in Redis: the value and when it stops being valid (epoch ms). */
interface Stored<V> {
  readonly e: number;
  readonly v: V;
}

const LOG_INTERVAL_MS = 60_000;
/** After a failed Redis call the cache leaves Redis alone this long (memory and the issuer only). */
const BACKOFF_MS = 1000;

/**
 * A {@link TokenCache} shared by every instance of an API: a bounded in-memory LRU (L1)
 * in front of Redis (L2). Keys are the SHA-256 hashes the resource server passes in (never
 * a token), stored under `{prefix}c:`; values are JSON with the TTL the resource server
 * asks for. An entry stays in L1 for at most `l1Ttl`, so instances converge quickly.
 *
 * Redis down or slow never fails a request: `get` falls back to L1 (then the issuer is
 * asked), `set` keeps the entry in L1 only, and one warning per minute says so. After a
 * failed call the cache leaves Redis alone for a second, so a hanging Redis costs a
 * request at most one `commandTimeout` here.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { RedisTokenCache, redisClientOptions } from 'zitadel-resource-server/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { ...redisClientOptions });
 * const rs = createResourceServer({
 *   issuer, audience,
 *   introspection: { auth, cache: new RedisTokenCache({ redis }) },
 * });
 */
export class RedisTokenCache<V extends object = CachedIntrospection> implements TokenCache<V> {
  readonly #commands: RedisCommandRunner;
  readonly #prefix: string;
  readonly #l1: LRUCache<string, V> | undefined;
  readonly #l1Ttl: number;
  readonly #log: ThrottledLog;
  /** Bumped by every local eviction: a Redis read that started before one is not kept in L1. */
  #evictions = 0;
  /** Epoch ms until which Redis is not asked (after a failure). */
  #backoffUntil = 0;

  constructor(options: RedisTokenCacheOptions) {
    const connection = resolveConnection(options);
    this.#commands = new RedisCommandRunner(connection.redis, connection.commandTimeout);
    this.#prefix = `${connection.prefix}c:`;
    this.#l1Ttl = integerOption(options.l1Ttl, 'l1Ttl', 5000, 0, 60_000);
    const l1Max = integerOption(options.l1Max, 'l1Max', 10_000, 1, 10_000_000);
    this.#l1 = this.#l1Ttl > 0 ? new LRUCache<string, V>({ max: l1Max, ttlAutopurge: false, allowStale: false }) : undefined;
    this.#log = new ThrottledLog(connection.logger, LOG_INTERVAL_MS, Date.now);
  }

  /** Entries currently held in this instance's memory (never more than `l1Max`). */
  get localSize(): number {
    return this.#l1?.size ?? 0;
  }

  /** L1, then Redis. Never throws: Redis unavailable or an unreadable entry is a miss. */
  async get(key: string): Promise<V | undefined> {
    const local = this.#l1?.get(key);
    if (local !== undefined) return local;
    if (this.#backingOff()) return undefined;
    const evictions = this.#evictions;
    let raw: string | null;
    try {
      raw = await this.#commands.run((redis) => redis.get(this.#prefix + key));
    } catch (error) {
      this.#unavailable(error);
      return undefined;
    }
    if (raw === null) return undefined;
    const stored = parseStored<V>(raw);
    if (stored === undefined) {
      this.#log.warn('redis-cache-corrupt', `An entry under "${this.#prefix}" is not a cache entry; it is ignored (is another program using this prefix?)`);
      return undefined;
    }
    const remaining = stored.e - Date.now();
    if (remaining <= 0) return undefined;
    if (evictions === this.#evictions) this.#remember(key, stored.v, remaining);
    return stored.v;
  }

  /** Stores in L1 and in Redis for `ttlMs`. Never throws: without Redis the entry stays local. */
  async set(key: string, value: V, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    const ttl = Math.ceil(ttlMs);
    this.#remember(key, value, ttl);
    if (this.#backingOff()) return;
    const payload = JSON.stringify({ e: Date.now() + ttl, v: value } satisfies Stored<V>);
    try {
      await this.#commands.run((redis) => redis.set(this.redisKey(key), payload, 'PX', ttl));
    } catch (error) {
      this.#unavailable(error);
    }
  }

  /**
   * Removes the entry here and in Redis (other instances may serve it from their L1 for
   * up to `l1Ttl`, unless a {@link RedisRevocationList} linked to this cache tells them).
   * Throws a {@link RedisUnavailableError} when Redis cannot be reached.
   */
  async delete(key: string): Promise<void> {
    this.evictLocal(key);
    await this.#commands.run((redis) => redis.del(this.redisKey(key)));
  }

  /** Drops the entry from this instance's memory only (a linked revocation list calls this on every instance). */
  evictLocal(key: string): void {
    this.#evictions += 1;
    this.#l1?.delete(key);
  }

  /** The Redis key that holds the entry for `key` (a token hash): `{prefix}c:{key}`. */
  redisKey(key: string): string {
    return this.#prefix + key;
  }

  /** Empties this instance's memory tier (Redis is untouched). */
  clearLocal(): void {
    this.#l1?.clear();
  }

  #remember(key: string, value: V, ttl: number): void {
    if (!this.#l1) return;
    this.#l1.set(key, value, { ttl: Math.max(1, Math.min(ttl, this.#l1Ttl)) });
  }

  #backingOff(): boolean {
    return Date.now() < this.#backoffUntil;
  }

  #unavailable(error: unknown): void {
    this.#backoffUntil = Date.now() + BACKOFF_MS;
    this.#log.warn(
      'redis-cache',
      `Redis is unavailable for the token cache (${describeError(error)}); using this instance's memory and the issuer until it is back`,
    );
  }
}

function parseStored<V extends object>(raw: string): Stored<V> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const { e, v } = parsed as { e?: unknown; v?: unknown };
  if (typeof e !== 'number' || !Number.isFinite(e) || v === null || typeof v !== 'object') return undefined;
  return { e, v: v as V };
}
