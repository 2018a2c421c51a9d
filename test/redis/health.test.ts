/**
 * Issue 17: the Redis cache and revocation list tell `rs.health()` whether Redis can be
 * reached, from the client's state (no round trip), with the address and never a password.
 */
import { createResourceServer } from '../../lib/core/resource-server.js';
import { RedisRevocationList, RedisTokenCache } from '../../lib/redis/index.js';
import { LogCapture } from '../support/log-capture.js';
import { CACHE_SECRET, connectRedis, uniquePrefix } from './redis-support.js';

describe('Redis health', () => {
  it('reachable while connected, not after the client quit; shown by rs.health()', async () => {
    const redis = await connectRedis();
    const logs = new LogCapture();
    const prefix = uniquePrefix();
    const cache = new RedisTokenCache({ redis, prefix, logger: logs, secret: CACHE_SECRET });
    const revocation = new RedisRevocationList({ redis, prefix, logger: logs });
    try {
      const { hostname, port } = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const endpoint = `redis://${hostname}:${port || '6379'}/0`;
      expect(cache.health()).toEqual({ reachable: true, status: 'ready', endpoint });
      expect(revocation.health()).toEqual({ reachable: true, status: 'ready', endpoint });
      const rs = createResourceServer({ issuer: 'https://acme.zitadel.cloud', audience: 'p', revocation, revocationUnavailable: 'fail-closed', logger: logs });
      expect(rs.health().revocation).toEqual({ reachable: true, status: 'ready', endpoint });
      await revocation.close();
      const ended = new Promise((resolve) => redis.once('end', resolve));
      await redis.quit();
      await ended;
      expect(cache.health()).toMatchObject({ reachable: false, status: 'end' });
      expect(rs.health().revocation).toMatchObject({ reachable: false, status: 'end' });
    } finally {
      redis.disconnect();
    }
  });
});
