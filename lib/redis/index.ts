/**
 * `zitadel-resource-server/redis`: a shared introspection cache and a shared revocation
 * list for APIs that run as many instances. Needs the optional peer `ioredis` (5.4+ or 6).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisRevocationList, RedisTokenCache, redisClientOptions } from 'zitadel-resource-server/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!, { ...redisClientOptions });
 * const cache = new RedisTokenCache({ redis, secret: process.env.ZRS_CACHE_SECRET! }); // openssl rand -base64 32
 * const revocation = new RedisRevocationList({ redis, cache });
 * const rs = createResourceServer({ issuer, audience, introspection: { auth, cache }, revocation });
 * ```
 *
 * @packageDocumentation
 */
export { RedisTokenCache } from './redis-token-cache.js';
export type { RedisTokenCacheOptions } from './redis-token-cache.js';
export { RedisRevocationList } from './redis-revocation-list.js';
export type { RedisRevocationListOptions } from './redis-revocation-list.js';
export { RedisDpopReplayCache } from './redis-dpop-replay-cache.js';
export type { RedisConnectionOptions } from './options.js';
export type { RedisSecret } from './integrity.js';
export { RedisUnavailableError } from './errors.js';
export { redisClientOptions } from './client-options.js';
