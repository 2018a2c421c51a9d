import type { Redis } from 'ioredis';
import { consoleLogger, describeValue, fail, integerOption } from '../core/kernel/index.js';
import type { Logger } from '../core/kernel/index.js';

export { fail, integerOption };

/** Options shared by the Redis cache, the Redis revocation list and the Redis DPoP replay cache. */
export interface RedisConnectionOptions {
  /**
   * Your ioredis client (ioredis 5.4+ or 6). Commands run on it; the revocation list also
   * opens one subscriber connection with `redis.duplicate()`. You keep ownership: quit it
   * yourself at shutdown. {@link redisClientOptions} are the settings we recommend for it.
   */
  readonly redis: Redis;
  /**
   * Prefix of every key (and of the pub/sub channel). Default `'zrs:'`. Instances of one
   * API share it; **APIs that share a Redis need a cache prefix each**: an introspection
   * answer is the answer to one API (its project's roles, its audience checked once) and
   * must not be reused by another. A revocation list may be shared on purpose.
   */
  readonly prefix?: string;
  /**
   * Longest wait for one Redis command, ms, whatever the client's own settings. Default
   * 200; from 10 to 10,000.
   */
  readonly commandTimeout?: number;
  /** Where operator-facing problems are reported, at most once a minute per kind. Default: console. */
  readonly logger?: Logger;
}

/** The keys of {@link RedisConnectionOptions}, for the unknown-option check. */
export const CONNECTION_KEYS: readonly string[] = Object.keys({
  redis: true,
  prefix: true,
  commandTimeout: true,
  logger: true,
} satisfies Record<keyof RedisConnectionOptions, true>);

/** {@link RedisConnectionOptions} after validation, defaults filled in. */
export interface ResolvedConnection {
  readonly redis: Redis;
  readonly prefix: string;
  readonly commandTimeout: number;
  readonly logger: Logger;
}

/** Validates the options every Redis store shares; throws `ResourceServerOptionsError` naming the option. */
export function resolveConnection(options: RedisConnectionOptions): ResolvedConnection {
  if (options === null || typeof options !== 'object') fail(`options must be an object with at least "redis" (an ioredis client) (got ${describeValue(options)})`);
  const redis = options.redis as unknown as Record<string, unknown> | null | undefined;
  if (redis === null || typeof redis !== 'object' || typeof redis.get !== 'function' || typeof redis.duplicate !== 'function') {
    fail(`"redis" option must be an ioredis client (new Redis(url, redisClientOptions)) (got ${describeValue(redis)})`);
  }
  const prefix = options.prefix ?? 'zrs:';
  if (typeof prefix !== 'string' || prefix === '' || /\s/.test(prefix)) fail(`"prefix" option must be a non-empty string without spaces, e.g. "zrs:" (got ${describeValue(prefix)})`);
  const logger = options.logger ?? consoleLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
    fail(`"logger" option must have warn() and error() methods (got ${describeValue(logger)})`);
  }
  return {
    redis: options.redis,
    prefix,
    commandTimeout: integerOption(options.commandTimeout, 'commandTimeout', 200, 10, 10_000),
    logger,
  };
}
