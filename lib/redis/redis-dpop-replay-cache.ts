import type { DpopReplayCache } from '../core/dpop.js';
import { ThrottledLog } from '../core/logger.js';
import { hashToken } from '../core/token-hash.js';
import { describeError, RedisCommandRunner } from './command-runner.js';
import { resolveConnection } from './options.js';
import type { RedisConnectionOptions } from './options.js';

/**
 * DPoP proof ids shared by every instance (RFC 9449 §11.1): a proof accepted by one instance
 * is a replay on all the others. One `SET … NX PX` per proof, under `{prefix}d:` and the
 * SHA-256 of the key-thumbprint and `jti`. When Redis cannot answer, `remember` throws and
 * the resource server refuses the DPoP request with 503 (freshness cannot be confirmed).
 *
 * @example
 * const rs = createResourceServer({ issuer, audience, dpop: { replayCache: new RedisDpopReplayCache({ redis }) } });
 */
export class RedisDpopReplayCache implements DpopReplayCache {
  readonly #commands: RedisCommandRunner;
  readonly #prefix: string;
  readonly #log: ThrottledLog;

  constructor(options: RedisConnectionOptions) {
    const connection = resolveConnection(options);
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
