import type { Redis, RedisOptions } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { checkKeys, revocationEntry, ThrottledLog } from '../core/kernel/index.js';
import type { RevocationCheck, RevocationList, RevocationTarget, StoreHealth } from '../core/kernel/index.js';
import { describeError, RedisCommandRunner } from './command-runner.js';
import { CONNECTION_KEYS, fail, integerOption, resolveConnection } from './options.js';
import type { RedisConnectionOptions } from './options.js';
import type { RedisTokenCache } from './redis-token-cache.js';

/** Options of {@link RedisRevocationList}. */
export interface RedisRevocationListOptions extends RedisConnectionOptions {
  /**
   * Lifetime of an entry revoked without `until`, ms: make it at least your longest access
   * token lifetime. Default 24 h; from 1 s to 366 days.
   */
  readonly defaultTtl?: number;
  /**
   * How long this instance reuses an answer of `isRevoked` for one token, ms. Every
   * revocation (from any instance, by pub/sub) empties this memory at once; the TTL only
   * bounds the lag if a pub/sub message is lost without the connection dropping. Default
   * 1,000; 0 asks Redis on every request; at most 10,000.
   */
  readonly l1Ttl?: number;
  /** Most answers held in memory. Default 10,000. */
  readonly l1Max?: number;
  /**
   * A {@link RedisTokenCache} to purge when a token is revoked by token or hash: its entry
   * is deleted from Redis (in the same atomic step) and dropped from the memory of every
   * instance. Not needed for correctness: every request is checked against the list, cache
   * hits too. Without it the verdict stays cached until it expires; with it, the next
   * request with the revoked token asks the issuer once more (and is then refused by the list).
   */
  readonly cache?: Pick<RedisTokenCache<object>, 'evictLocal' | 'redisKey'>;
}

/**
 * Keeps the larger revocation (later `issuedBefore`, later expiry), drops the token's
 * cache entry and tells every instance, atomically. KEYS[1] the entry, KEYS[2] (optional)
 * the cache entry; ARGV value, ttl ms, channel, message.
 */
const REVOKE_SCRIPT = `
if KEYS[2] then redis.call('DEL', KEYS[2]) end
local value = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) > tonumber(value) then value = current end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], value, 'PX', ttl)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

const LOG_INTERVAL_MS = 60_000;

const LIST_KEYS = [...CONNECTION_KEYS, 'defaultTtl', 'l1Ttl', 'l1Max', 'cache'];

/**
 * A {@link RevocationList} shared by every instance through Redis. Entries (by token hash,
 * `jti`, or subject + `issuedBefore`) expire when the tokens they cover would (`until`,
 * default `defaultTtl`). `revoke` stores the entry and publishes it on
 * `{prefix}revocations` in one atomic step; every instance empties its short-lived memory
 * of answers on that message, so a revocation is honoured everywhere within milliseconds.
 *
 * `isRevoked` throws a {@link RedisUnavailableError} when Redis cannot be read (answers in
 * memory are used only while the subscriber connection is up): the resource server's
 * `revocationUnavailable` option decides between going on with a warning and a 503.
 *
 * Entries carry no MAC, on purpose: a forged entry can only refuse tokens (denial), and a
 * deleted one un-revokes — which no MAC can prevent; a MAC whose failure meant "not
 * revoked" would add a way to fail open. Whoever can write to this Redis can therefore
 * un-revoke: use a Redis that only your API instances (and your revoking tools) can write
 * to (SECURITY.md, "What the Redis store is trusted with").
 *
 * Call {@link RedisRevocationList.close} at shutdown: it ends the subscriber connection
 * (your own client is yours to quit).
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { RedisRevocationList, RedisTokenCache, redisClientOptions } from 'zitadel-resource-server/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { ...redisClientOptions });
 * const cache = new RedisTokenCache({ redis, secret: process.env.ZRS_CACHE_SECRET! });
 * const revocation = new RedisRevocationList({ redis, cache });
 * const rs = createResourceServer({ issuer, audience, introspection: { auth, cache }, revocation });
 * await rs.revoke({ jti: 'V2_123' });          // refused by every instance from now on
 * // at shutdown:
 * await revocation.close();
 * await redis.quit();
 */
export class RedisRevocationList implements RevocationList {
  readonly #commands: RedisCommandRunner;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #defaultTtl: number;
  readonly #l1: LRUCache<string, boolean> | undefined;
  readonly #cache: Pick<RedisTokenCache<object>, 'evictLocal' | 'redisKey'> | undefined;
  readonly #log: ThrottledLog;
  /** Bumped whenever memory may be stale: answers read before a bump are not kept. */
  #generation = 0;
  /** The subscriber is connected and subscribed: memory may be used. */
  #live = false;
  #closed = false;
  readonly #ready: Promise<void>;
  #settleReady: (error?: Error) => void = () => undefined;

  constructor(options: RedisRevocationListOptions) {
    const connection = resolveConnection(options);
    checkKeys(options, LIST_KEYS);
    this.#commands = new RedisCommandRunner(connection.redis, connection.commandTimeout);
    this.#prefix = `${connection.prefix}r:`;
    this.#channel = `${connection.prefix}revocations`;
    this.#defaultTtl = integerOption(options.defaultTtl, 'defaultTtl', 24 * 60 * 60 * 1000, 1000, 366 * 24 * 60 * 60 * 1000);
    const l1Ttl = integerOption(options.l1Ttl, 'l1Ttl', 1000, 0, 10_000);
    const l1Max = integerOption(options.l1Max, 'l1Max', 10_000, 1, 10_000_000);
    this.#l1 = l1Ttl > 0 ? new LRUCache<string, boolean>({ max: l1Max, ttl: l1Ttl, ttlAutopurge: false, allowStale: false }) : undefined;
    const cache = options.cache;
    if (cache !== undefined && (cache === null || typeof cache.evictLocal !== 'function' || typeof cache.redisKey !== 'function')) {
      fail('"cache" option must be a RedisTokenCache (the one passed as introspection.cache)');
    }
    this.#cache = cache;
    this.#log = new ThrottledLog(connection.logger, LOG_INTERVAL_MS, Date.now);
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.#ready.catch(() => undefined);
    this.#subscriber = this.#openSubscriber(connection.redis);
  }

  /**
   * Resolves once the subscriber connection listens for revocations (the list works
   * before that too, asking Redis on every check). Rejects if the list is closed first.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether Redis can be reached now (the client's state; no round trip), for `rs.health()`. */
  health(): StoreHealth {
    return this.#commands.health();
  }

  /** Whether a check matches a revocation. Throws a {@link RedisUnavailableError} when Redis cannot be read. */
  async isRevoked(check: RevocationCheck): Promise<boolean> {
    const memoKey = this.#l1 && this.#live ? JSON.stringify([check.tokenHash, check.jti ?? null, check.subject ?? null, check.issuedAt ?? null]) : undefined;
    if (memoKey !== undefined) {
      const known = this.#l1!.get(memoKey);
      if (known !== undefined) return known;
    }
    const generation = this.#generation;
    const keys = [`${this.#prefix}t:${check.tokenHash}`];
    if (check.jti !== undefined) keys.push(`${this.#prefix}j:${check.jti}`);
    if (check.subject !== undefined) keys.push(`${this.#prefix}s:${check.subject}`);
    const values = await this.#commands.run((redis) => redis.mget(...keys));
    const revoked = matches(check, values);
    if (memoKey !== undefined && this.#live && generation === this.#generation) this.#l1!.set(memoKey, revoked);
    return revoked;
  }

  /**
   * Stores a revocation in Redis and tells every instance. Idempotent; a later
   * `issuedBefore` or `until` for the same subject or token wins. Throws a
   * {@link RedisUnavailableError} when Redis cannot be written (the revocation may then
   * not be in force: retry).
   */
  async revoke(target: RevocationTarget): Promise<void> {
    const entry = revocationEntry(target);
    const key = `${this.#prefix}${entry.key}`;
    const ttl = entry.until === undefined ? this.#defaultTtl : Math.max(1, Math.ceil(entry.until - Date.now()));
    const message = JSON.stringify(entry.tokenHash === undefined ? {} : { tokenHash: entry.tokenHash });
    const keys = entry.tokenHash !== undefined && this.#cache ? [key, this.#cache.redisKey(entry.tokenHash)] : [key];
    try {
      await this.#commands.run((redis) => redis.eval(REVOKE_SCRIPT, keys.length, ...keys, String(entry.value), String(ttl), this.#channel, message));
    } finally {
      this.#forget(entry.tokenHash);
    }
  }

  /** Ends the subscriber connection. The list keeps answering by asking Redis on every check. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    this.#l1?.clear();
    this.#settleReady(new Error('The revocation list was closed'));
    const subscriber = this.#subscriber;
    if (subscriber.status === 'end') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      timer.unref();
      subscriber.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      subscriber.disconnect();
    });
  }

  #openSubscriber(redis: Redis): Redis {
    const override: Partial<RedisOptions> = {
      lazyConnect: false,
      autoResubscribe: false,
      enableOfflineQueue: true,
      himportFieldsets: undefined,
    };
    const subscriber = redis.duplicate(override) as Redis;
    subscriber.on('ready', () => void this.#subscribe(subscriber));
    subscriber.on('close', () => this.#lost());
    subscriber.on('end', () => {
      if (this.#closed) return;
      this.#lost();
      this.#log.error(
        'redis-subscriber-end',
        'The Redis subscriber connection gave up reconnecting (the client\'s retryStrategy); revocations are read from Redis on every request from now on',
      );
    });
    subscriber.on('error', (error: unknown) => {
      this.#log.warn(
        'redis-subscriber',
        `The Redis subscriber connection failed (${describeError(error)}); revocations are read from Redis on every request until it is back`,
      );
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#forget(tokenHashOf(message));
    });
    return subscriber;
  }

  async #subscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.#channel);
    } catch (error) {
      if (this.#closed) return;
      if (subscriber.status !== 'ready') return; // lost meanwhile: the next 'ready' subscribes again
      this.#log.warn('redis-subscribe', `Could not subscribe to "${this.#channel}" (${describeError(error)}); reconnecting`);
      subscriber.disconnect(true);
      return;
    }
    if (this.#closed) return;
    this.#generation += 1;
    this.#l1?.clear();
    this.#live = true;
    this.#settleReady();
  }

  /** The subscriber is gone: messages may be missed, so memory is dropped and not used. */
  #lost(): void {
    this.#live = false;
    this.#generation += 1;
    this.#l1?.clear();
  }

  /** A revocation happened (here or elsewhere): answers in memory may be wrong now. */
  #forget(tokenHash: string | undefined): void {
    this.#generation += 1;
    this.#l1?.clear();
    if (tokenHash !== undefined) this.#cache?.evictLocal(tokenHash);
  }
}

/** Same rules as the memory list: token hash, jti, or a subject revoked for tokens issued before a time. */
function matches(check: RevocationCheck, values: readonly (string | null)[]): boolean {
  let index = 0;
  if (values[index++] != null) return true;
  if (check.jti !== undefined && values[index++] != null) return true;
  if (check.subject !== undefined) {
    const before = values[index];
    if (before != null) {
      const beforeMs = Number(before);
      if (check.issuedAt === undefined || !Number.isFinite(beforeMs) || check.issuedAt * 1000 < beforeMs) return true;
    }
  }
  return false;
}

function tokenHashOf(message: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    if (parsed !== null && typeof parsed === 'object') {
      const hash = (parsed as { tokenHash?: unknown }).tokenHash;
      if (typeof hash === 'string' && hash !== '') return hash;
    }
  } catch {
    // A message we do not understand still empties the memory (see #forget).
  }
  return undefined;
}
