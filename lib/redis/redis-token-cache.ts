import { LRUCache } from 'lru-cache';
import type { CachedIntrospection, StoreHealth, TokenCache } from '../core/kernel/index.js';
import { checkKeys, ThrottledLog } from '../core/kernel/index.js';
import { describeError, RedisCommandRunner } from './command-runner.js';
import { EntrySigner, resolveSecret } from './integrity.js';
import type { RedisSecret } from './integrity.js';
import { CONNECTION_KEYS, integerOption, resolveConnection } from './options.js';
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
  /**
   * Required. The per-deployment secret that authenticates every entry (HMAC-SHA256 over
   * its Redis key and value): at least 32 random bytes, the same on every instance, e.g.
   * `process.env.ZRS_CACHE_SECRET` set to the output of `openssl rand -base64 32`. An entry
   * whose MAC is missing or wrong — written by anyone without the secret — is a miss (one
   * warning a minute). While rotating, pass `[newSecret, oldSecret]`: the first signs, any
   * verifies.
   */
  readonly secret: RedisSecret;
  /**
   * Longest lifetime of an entry, ms, counted from when it was written: a longer TTL is cut
   * when writing and when reading, and never past the answer's `exp`. Default 30,000 (the
   * default `introspection.maxTtl`; set it to yours if you raised that); from 1,000 to 300,000.
   */
  readonly maxTtl?: number;
}

/** What is stored in Redis (sealed): when it was written, when it stops being valid (epoch ms), the value. */
interface Stored<V> {
  readonly t: number;
  readonly e: number;
  readonly v: V;
}

const CACHE_KEYS = [...CONNECTION_KEYS, 'l1Ttl', 'l1Max', 'secret', 'maxTtl'];

const LOG_INTERVAL_MS = 60_000;
/** After a failed Redis call the cache leaves Redis alone this long (memory and the issuer only). */
const BACKOFF_MS = 1000;

/**
 * A {@link TokenCache} shared by every instance of an API: a bounded in-memory LRU (L1)
 * in front of Redis (L2). Keys are the SHA-256 hashes the resource server passes in (never
 * a token), stored under `{prefix}c:`; values are JSON with the TTL the resource server
 * asks for (at most `maxTtl`). An entry stays in L1 for at most `l1Ttl`, so instances
 * converge quickly.
 *
 * Entries are authenticated: each is sealed with an HMAC-SHA256 over its Redis key and
 * value under `secret`, so whoever can write to Redis without the secret cannot forge an
 * answer, move one to another token's key, or stretch its lifetime; such entries are
 * misses (a warning a minute). On read, an entry's lifetime is cut to `maxTtl` from when it
 * was written and to the answer's `exp`. A MAC cannot stop deletion: see SECURITY.md.
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
 *   introspection: { auth, cache: new RedisTokenCache({ redis, secret: process.env.ZRS_CACHE_SECRET! }) },
 * });
 */
export class RedisTokenCache<V extends object = CachedIntrospection> implements TokenCache<V> {
  readonly #commands: RedisCommandRunner;
  readonly #prefix: string;
  readonly #l1: LRUCache<string, V> | undefined;
  readonly #l1Ttl: number;
  readonly #maxTtl: number;
  readonly #signer: EntrySigner;
  readonly #log: ThrottledLog;
  /** Bumped by every local eviction: a Redis read that started before one is not kept in L1. */
  #evictions = 0;
  /** Epoch ms until which Redis is not asked (after a failure). */
  #backoffUntil = 0;

  constructor(options: RedisTokenCacheOptions) {
    const connection = resolveConnection(options);
    checkKeys(options, CACHE_KEYS);
    this.#signer = new EntrySigner(resolveSecret(options.secret), 'token-cache');
    this.#maxTtl = integerOption(options.maxTtl, 'maxTtl', 30_000, 1000, 300_000);
    this.#commands = new RedisCommandRunner(connection.redis, connection.commandTimeout);
    this.#prefix = `${connection.prefix}c:`;
    this.#l1Ttl = integerOption(options.l1Ttl, 'l1Ttl', 5000, 0, 60_000);
    const l1Max = integerOption(options.l1Max, 'l1Max', 10_000, 1, 10_000_000);
    this.#l1 = this.#l1Ttl > 0 ? new LRUCache<string, V>({ max: l1Max, ttlAutopurge: false, allowStale: false }) : undefined;
    this.#log = new ThrottledLog(connection.logger, LOG_INTERVAL_MS, Date.now);
  }

  /** Whether Redis can be reached now (the client's state; no round trip), for `rs.health()`. */
  health(): StoreHealth {
    return this.#commands.health();
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
    const redisKey = this.redisKey(key);
    let raw: string | null;
    try {
      raw = await this.#commands.run((redis) => redis.get(redisKey));
    } catch (error) {
      this.#unavailable(error);
      return undefined;
    }
    if (raw === null) return undefined;
    const payload = this.#signer.open(redisKey, raw);
    if (payload === undefined) {
      this.#log.warn(
        'redis-cache-mac',
        `An entry under "${this.#prefix}" has a missing or wrong MAC and is ignored: it was written without this cache's "secret" ` +
          '(another program, an instance with another secret, or a forgery). Give every instance of this API the same secret',
      );
      return undefined;
    }
    const stored = parseStored<V>(payload);
    if (stored === undefined) {
      this.#log.warn('redis-cache-corrupt', `An entry under "${this.#prefix}" is not a cache entry; it is ignored`);
      return undefined;
    }
    const now = Date.now();
    const until = lifetimeEnd(stored, now, this.#maxTtl);
    const remaining = until - now;
    if (remaining <= 0) return undefined;
    const value = clampValue(stored.v, until);
    if (evictions === this.#evictions) this.#remember(key, value, remaining);
    return value;
  }

  /** Stores in L1 and in Redis for `ttlMs`. Never throws: without Redis the entry stays local. */
  async set(key: string, value: V, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    const ttl = Math.min(Math.ceil(ttlMs), this.#maxTtl);
    this.#remember(key, value, ttl);
    if (this.#backingOff()) return;
    const now = Date.now();
    const redisKey = this.redisKey(key);
    const sealed = this.#signer.seal(redisKey, JSON.stringify({ t: now, e: now + ttl, v: value } satisfies Stored<V>));
    try {
      await this.#commands.run((redis) => redis.set(redisKey, sealed, 'PX', ttl));
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
  const { t, e, v } = parsed as { t?: unknown; e?: unknown; v?: unknown };
  if (typeof t !== 'number' || !Number.isFinite(t) || typeof e !== 'number' || !Number.isFinite(e) || v === null || typeof v !== 'object' || Array.isArray(v)) {
    return undefined;
  }
  return { t, e, v: v as V };
}

/**
 * When an entry stops being usable, whatever its writer said: its own end, at most
 * `maxTtl` after it was written (a write time ahead of this clock counts as now), and
 * never past the answer's `exp` (an introspection answer's `result.claims.exp`, seconds).
 */
function lifetimeEnd(stored: Stored<object>, now: number, maxTtl: number): number {
  let until = Math.min(stored.e, Math.min(stored.t, now) + maxTtl);
  const exp = (stored.v as { result?: { claims?: { exp?: unknown } } }).result?.claims?.exp;
  if (typeof exp === 'number') until = Math.min(until, exp * 1000);
  return until;
}

/** The value with its own `expiresAt` (an introspection entry's) cut to `until`, so the reader's check agrees with the cache. */
function clampValue<V extends object>(value: V, until: number): V {
  const expiresAt = (value as { expiresAt?: unknown }).expiresAt;
  if (typeof expiresAt !== 'number' || expiresAt <= until) return value;
  return { ...value, expiresAt: until };
}
