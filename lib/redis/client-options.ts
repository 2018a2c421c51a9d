import type { RedisOptions } from 'ioredis';

/**
 * ioredis settings we recommend for the client you pass as `redis`: a command fails fast
 * instead of queueing while Redis is unreachable (`enableOfflineQueue: false`), waits at
 * most 200 ms for an answer, and reconnection backs off up to 2 s. Our own deadline
 * (`commandTimeout` of the cache and the list) applies whatever you choose.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { redisClientOptions } from 'zitadel-resource-server/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { ...redisClientOptions });
 */
export const redisClientOptions: Readonly<Partial<RedisOptions>> = Object.freeze({
  commandTimeout: 200,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
});
