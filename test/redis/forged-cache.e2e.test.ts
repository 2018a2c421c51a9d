/**
 * Issue 15 item 5: a neighbour with write access to the API's Redis mints an introspection
 * answer for a made-up token (any subject, any roles) or stretches a real one's lifetime.
 * Entries are sealed with the deployment's secret (HMAC-SHA256 over key and value), and a
 * lifetime read from Redis is cut to `maxTtl` from its write and to the answer's `exp`.
 */
import type { Redis } from 'ioredis';
import { hashToken } from '../../lib/core/token-hash.js';
import { RedisTokenCache } from '../../lib/redis/index.js';
import type { CachedIntrospection } from '../../lib/core/introspection/introspector.js';
import { EntrySigner, resolveSecret } from '../../lib/redis/integrity.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { zitadelOpaqueToken, zitadelPat } from '../core/support/zitadel-tokens.js';
import { LogCapture } from '../support/log-capture.js';
import { get } from '../support/send.js';
import { CACHE_SECRET, connectRedis, deleteAll, startRedisInstance, uniquePrefix } from './redis-support.js';
import type { RedisInstance } from './redis-support.js';

describe('a forged or stretched entry in the shared Redis cache', () => {
  let admin: Redis;
  let issuer: TestIssuer;
  let prefix: string;
  let api: RedisInstance;

  beforeAll(async () => {
    admin = await connectRedis();
  });
  afterAll(async () => {
    await admin?.quit();
  });
  beforeEach(async () => {
    prefix = uniquePrefix();
    issuer = await createTestIssuer();
    api = await startRedisInstance({ kind: 'express', issuer, prefix });
  });
  afterEach(async () => {
    await api.close();
    await issuer.close();
    await deleteAll(admin, prefix);
  });

  /** The entry this API's own introspector writes and reads (see lib/core/trusted-issuer.ts, askedBy). */
  function answer(claims: Record<string, unknown>, now = Date.now()): CachedIntrospection {
    return {
      result: { active: true, claims: { active: true, iss: issuer.issuer, exp: Math.floor(now / 1000) + 3600, ...claims } },
      fetchedAt: now,
      expiresAt: now + 3_600_000,
      askedBy: JSON.stringify([issuer.issuer, issuer.introspectionClient.clientId, [issuer.audience].flat().sort()]),
    };
  }

  it('refuses a made-up token whose answer was written straight into Redis without the secret (401, one warning)', async () => {
    // Shaped like ZITADEL tokens, so that only the cache can vouch for them.
    const madeUp = zitadelPat();
    const forgedClaims = { sub: 'admin-by-forgery', client_id: 'anyone', ...issuer.roleClaims(['orders.admin']) };
    const now = Date.now();
    // The shape main stored and trusted: plain JSON, the writer's own lifetime.
    await admin.set(`${prefix}c:${hashToken(madeUp)}`, JSON.stringify({ e: now + 3_600_000, v: answer(forgedClaims, now) }), 'PX', 3_600_000);
    // Even with the new envelope, a MAC the writer had to guess.
    const madeUp2 = zitadelOpaqueToken();
    await admin.set(`${prefix}c:${hashToken(madeUp2)}`, `v1.${'A'.repeat(43)}.${JSON.stringify({ t: now, e: now + 3_600_000, v: answer(forgedClaims, now) })}`, 'PX', 3_600_000);
    for (const token of [madeUp, madeUp2]) {
      const response = await get(`${api.app.url}/admin`, token);
      expect({ status: response.status, challenge: response.headers['www-authenticate'] }).toEqual({
        status: 401,
        challenge: 'Bearer realm="api", error="invalid_token", error_description="The token is not active"',
      });
    }
    expect(api.logs.lines.filter((line) => line.includes('has a missing or wrong MAC'))).toHaveLength(1);
  });

  it('refuses an entry moved from a real token\'s key to a made-up token\'s key (the MAC covers the key)', async () => {
    const real = issuer.mintOpaque(issuer.roleClaims(['orders.admin']));
    expect((await get(`${api.app.url}/admin`, real)).status).toBe(200);
    const sealed = await admin.get(`${prefix}c:${hashToken(real)}`);
    expect(sealed).toMatch(/^v1\./);
    const madeUp = zitadelPat();
    await admin.set(`${prefix}c:${hashToken(madeUp)}`, sealed!, 'PX', 60_000);
    expect((await get(`${api.app.url}/admin`, madeUp)).status).toBe(401);
  });

  it('cuts an authenticated entry\'s lifetime to maxTtl from its write and to exp, whatever it says', async () => {
    // An instance with the secret but a longer lifetime (an older version, another setting).
    const signer = new EntrySigner(resolveSecret(CACHE_SECRET), 'token-cache');
    const cache = new RedisTokenCache<CachedIntrospection>({ redis: admin, prefix, secret: CACHE_SECRET, l1Ttl: 0, logger: new LogCapture() });
    const now = Date.now();
    const seal = (key: string, t: number, e: number, value: CachedIntrospection) =>
      admin.set(cache.redisKey(key), signer.seal(cache.redisKey(key), JSON.stringify({ t, e, v: value })), 'PX', 3_600_000);

    await seal('written-31s-ago', now - 31_000, now + 3_600_000, answer({ sub: 'a' }, now - 31_000));
    expect(await cache.get('written-31s-ago')).toBeUndefined();

    await seal('written-10s-ago', now - 10_000, now + 3_600_000, answer({ sub: 'b' }, now - 10_000));
    const fresh = await cache.get('written-10s-ago');
    expect(fresh?.result).toEqual(answer({ sub: 'b' }, now - 10_000).result);
    expect(fresh?.expiresAt).toBe(now - 10_000 + 30_000);

    await seal('past-exp', now, now + 3_600_000, answer({ sub: 'c', exp: Math.floor(now / 1000) - 1 }, now));
    expect(await cache.get('past-exp')).toBeUndefined();

    await seal('written-ahead', now + 600_000, now + 3_600_000, answer({ sub: 'd' }, now));
    expect((await cache.get('written-ahead'))?.expiresAt).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it('through HTTP: an active answer stretched to an hour is not used after maxTtl, the issuer decides (revoked: 401)', async () => {
    const token = issuer.mintOpaque(issuer.roleClaims(['orders.admin']));
    const signer = new EntrySigner(resolveSecret(CACHE_SECRET), 'token-cache');
    const key = `${prefix}c:${hashToken(token)}`;
    const written = Date.now() - 40_000;
    await admin.set(key, signer.seal(key, JSON.stringify({ t: written, e: written + 3_600_000, v: answer({ sub: 'user-1' }, written) })), 'PX', 3_600_000);
    issuer.revoke(token);
    const response = await get(`${api.app.url}/admin`, token);
    expect(response.status).toBe(401);
  });

  it('writes and clamps its own entries to maxTtl (default 30 s), whatever TTL it is asked for', async () => {
    const cache = new RedisTokenCache<{ n: number }>({ redis: admin, prefix, secret: CACHE_SECRET, logger: new LogCapture() });
    await cache.set('long', { n: 1 }, 3_600_000);
    const ttl = await admin.pttl(cache.redisKey('long'));
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });
});
