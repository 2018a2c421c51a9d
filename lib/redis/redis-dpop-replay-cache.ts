import type { DpopReplayCache } from '../core/kernel/index.js';
import { checkKeys, hashToken, ThrottledLog } from '../core/kernel/index.js';
import { describeError, RedisCommandRunner } from './command-runner.js';
import { CONNECTION_KEYS, resolveConnection } from './options.js';
import type { RedisConnectionOptions } from './options.js';

/**
 * DPoP proof ids shared by every instance (RFC 9449 §11.1): a proof accepted by one instance
 * is a replay on all the others. One `SET … NX PX` per proof, under `{prefix}d:` and the
 * SHA-256 of the key-thumbprint and `jti`, for the proof's whole acceptable lifetime (the TTL
 * the verifier passes, counted from the proof's `iat`). When Redis cannot answer — down,
 * slow, or out of memory under `maxmemory-policy noeviction` — `remember` throws and the
 * resource server refuses the DPoP request with 503 (freshness cannot be confirmed).
 *
 * Entries carry no MAC: the only information is that a key exists. A forged key can only
 * refuse one proof (denial); a deleted key — by anyone with write access, or by Redis
 * evicting under memory pressure — lets that proof be replayed until it expires, and no
 * MAC can prevent that. Use a Redis that only your API instances can write to, with
 * `maxmemory-policy noeviction` (SECURITY.md, "What the Redis store is trusted with").
 *
 * @example
 * const rs = createResourceServer({
 *   issuer, audience,
 *   dpop: { origins: ['https://api.acme.com'], replayCache: new RedisDpopReplayCache({ redis }) },
 * });
 */
export class RedisDpopReplayCache implements DpopReplayCache {
  readonly #commands: RedisCommandRunner;
  readonly #prefix: string;
  readonly #log: ThrottledLog;

  constructor(options: RedisConnectionOptions) {
    const connection = resolveConnection(options);
    checkKeys(options, CONNECTION_KEYS);
    this.#commands = new RedisCommandRunner(connection.redis, connection.commandTimeout);
    this.#prefix = `${connection.prefix}d:`;
    this.#log = new ThrottledLog(connection.logger, 60_000, Date.now);
  }

  async remember(key: string, ttlMs: number): Promise<boolean> {
    const redisKey = `${this.#prefix}${hashToken(key)}`;
    try {
      const result = await this.#commands.run((redis) => redis.set(redisKey, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
      return result === 'OK';
    } catch (error) {
      this.#log.error('dpop-replay', `The DPoP replay cache cannot be reached (${describeError(error)}); DPoP requests are refused with 503`);
      throw error;
    }
  }
}
