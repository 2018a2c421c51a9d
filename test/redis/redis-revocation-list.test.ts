import { Redis } from 'ioredis';
import { hashToken } from '../../lib/core/token-hash.js';
import type { RevocationCheck } from '../../lib/core/revocation.js';
import { RedisRevocationList, RedisTokenCache, RedisUnavailableError } from '../../lib/redis/index.js';
import { LogCapture } from '../support/log-capture.js';
import { CACHE_SECRET, connectRedis, deleteAll, scanAll, uniquePrefix, waitFor } from './redis-support.js';

const HOUR = 60 * 60 * 1000;

function check(overrides: Partial<RevocationCheck> = {}): RevocationCheck {
  return { tokenHash: hashToken('some-token'), jti: 'jti-1', subject: 'user-1', issuedAt: Math.floor(Date.now() / 1000), ...overrides };
}

describe('RedisRevocationList', () => {
  let redis: Redis;
  let prefix: string;
  let logs: LogCapture;
  const lists: RedisRevocationList[] = [];

  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    await redis?.quit();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
    logs = new LogCapture();
  });
  afterEach(async () => {
    for (const list of lists.splice(0)) await list.close();
    await deleteAll(redis, prefix);
  });

  async function list(options: { l1Ttl?: number; defaultTtl?: number; cache?: RedisTokenCache<{ n: number }> } = {}): Promise<RedisRevocationList> {
    const created = new RedisRevocationList({ redis, prefix, logger: logs, ...options });
    lists.push(created);
    await created.ready();
    return created;
  }

  it('validates its options and targets', async () => {
    expect(() => new RedisRevocationList({ redis, defaultTtl: 10 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
    expect(() => new RedisRevocationList({ redis, l1Ttl: 60_000 })).toThrow(/"l1Ttl"/);
    expect(() => new RedisRevocationList({ redis: {} as Redis })).toThrow(/"redis"/);
    const revocations = await list();
    const refused = (message: string) => ({ code: 'ERR_INVALID_OPTIONS', name: 'ResourceServerOptionsError', message });
    await expect(revocations.revoke({ jti: '' })).rejects.toMatchObject(refused('revoke(): "jti" must be a non-empty string (got an empty string)'));
    await expect(revocations.revoke({ subject: 'u', issuedBefore: new Date(Number.NaN) })).rejects.toMatchObject(
      refused('revoke(): "issuedBefore" must be a valid Date (got an object)'),
    );
    await expect(revocations.revoke({ jti: 'x', until: 'tomorrow' as unknown as Date })).rejects.toMatchObject(
      refused('revoke(): "until" must be a valid Date (got the string "tomorrow")'),
    );
    await expect(revocations.revoke({} as never)).rejects.toMatchObject(
      refused('revoke(): a revocation target is { token }, { tokenHash }, { jti } or { subject, issuedBefore }, each with an optional until (a Date)'),
    );
    expect(() => new RedisRevocationList({ redis, defaultTTL: 1000 } as never)).toThrow(expect.objectContaining(refused('Unknown option "defaultTTL": did you mean "defaultTtl"?')));
    expect(() => new RedisRevocationList({ redis, l1Max: '5' } as never)).toThrow(expect.objectContaining(refused('"l1Max" option must be an integer from 1 to 10000000 (got the string "5")')));
  });

  it('matches like the memory list: token, token hash, jti, subject issued before a time', async () => {
    const revocations = await list({ l1Ttl: 0 });
    expect(await revocations.isRevoked(check())).toBe(false);

    await revocations.revoke({ token: 'some-token' });
    expect(await revocations.isRevoked(check())).toBe(true);
    expect(await revocations.isRevoked(check({ tokenHash: hashToken('other') }))).toBe(false);

    await revocations.revoke({ tokenHash: hashToken('second') });
    expect(await revocations.isRevoked(check({ tokenHash: hashToken('second') }))).toBe(true);

    await revocations.revoke({ jti: 'jti-9' });
    expect(await revocations.isRevoked(check({ tokenHash: 'h', jti: 'jti-9' }))).toBe(true);
    expect(await revocations.isRevoked(check({ tokenHash: 'h', jti: undefined }))).toBe(false);

    const cutOff = Date.now();
    await revocations.revoke({ subject: 'user-7', issuedBefore: new Date(cutOff) });
    expect(await revocations.isRevoked(check({ tokenHash: 'h', subject: 'user-7', issuedAt: Math.floor(cutOff / 1000) - 10 }))).toBe(true);
    expect(await revocations.isRevoked(check({ tokenHash: 'h', subject: 'user-7', issuedAt: Math.floor(cutOff / 1000) + 10 }))).toBe(false);
    expect(await revocations.isRevoked(check({ tokenHash: 'h', subject: 'user-7', issuedAt: undefined }))).toBe(true);
    expect(await revocations.isRevoked(check({ tokenHash: 'h', subject: 'user-8' }))).toBe(false);

    // Stored by hash, jti and subject only; never a token.
    const keys = [...(await scanAll(redis, prefix)).keys()].sort();
    expect(keys).toEqual(
      [`${prefix}r:t:${hashToken('some-token')}`, `${prefix}r:t:${hashToken('second')}`, `${prefix}r:j:jti-9`, `${prefix}r:s:user-7`].sort(),
    );
  });

  it('entries expire at `until`, or after defaultTtl', async () => {
    const revocations = await list({ l1Ttl: 0, defaultTtl: 2 * HOUR });
    await revocations.revoke({ jti: 'short', until: new Date(Date.now() + 300) });
    await revocations.revoke({ jti: 'default' });
    expect(await revocations.isRevoked(check({ jti: 'short' }))).toBe(true);
    const ttl = await redis.pttl(`${prefix}r:j:default`);
    expect(ttl).toBeGreaterThan(2 * HOUR - 5000);
    expect(ttl).toBeLessThanOrEqual(2 * HOUR);
    await waitFor(async () => !(await revocations.isRevoked(check({ jti: 'short' }))), 1000, 25);
  });

  it('keeps the later cut-off and the later expiry when a subject is revoked twice', async () => {
    const revocations = await list({ l1Ttl: 0 });
    const later = Date.now();
    await revocations.revoke({ subject: 'user-3', issuedBefore: new Date(later), until: new Date(Date.now() + 2 * HOUR) });
    await revocations.revoke({ subject: 'user-3', issuedBefore: new Date(later - HOUR), until: new Date(Date.now() + HOUR) });
    expect(await redis.get(`${prefix}r:s:user-3`)).toBe(String(later));
    expect(await redis.pttl(`${prefix}r:s:user-3`)).toBeGreaterThan(HOUR + 60_000);
  });

  it('a revocation through one list is seen by another at once, although the other remembered the answer', async () => {
    const here = await list({ l1Ttl: 10_000 });
    const there = await list({ l1Ttl: 10_000 });
    expect(await there.isRevoked(check())).toBe(false); // remembered for 10 s ...
    await here.revoke({ jti: 'jti-1' });
    // ... yet forgotten as soon as the message arrives.
    expect(await waitFor(async () => await there.isRevoked(check()), 200, 2)).toBeLessThan(200);
  });

  it('throws when Redis cannot be read, so the resource server decides', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const revocations = new RedisRevocationList({ redis: dead, prefix, logger: logs });
    lists.push(revocations);
    await expect(revocations.isRevoked(check())).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(revocations.revoke({ jti: 'x' })).rejects.toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
    await revocations.close();
    dead.disconnect();
  });

  it('purges a linked cache: the entry in Redis and in every instance\'s memory', async () => {
    const cacheHere = new RedisTokenCache<{ n: number }>({ redis, prefix, secret: CACHE_SECRET });
    const cacheThere = new RedisTokenCache<{ n: number }>({ redis, prefix, secret: CACHE_SECRET });
    const here = await list({ cache: cacheHere });
    await list({ cache: cacheThere });
    const hash = hashToken('cached-token');
    await cacheHere.set(hash, { n: 1 }, 10_000);
    await cacheHere.set('other', { n: 2 }, 10_000);
    expect(await cacheThere.get(hash)).toEqual({ n: 1 });
    await here.revoke({ token: 'cached-token' });
    expect(await redis.exists(cacheHere.redisKey(hash))).toBe(0);
    expect(await redis.exists(cacheHere.redisKey('other'))).toBe(1);
    await waitFor(() => cacheThere.localSize === 0, 200);
    expect(await cacheThere.get(hash)).toBeUndefined();
  });

  it('close() ends the subscriber; the list still answers from Redis; close is idempotent', async () => {
    const revocations = await list();
    await revocations.close();
    await revocations.close();
    await expect(revocations.ready()).resolves.toBeUndefined(); // was ready before
    await revocations.revoke({ jti: 'after-close' });
    expect(await revocations.isRevoked(check({ jti: 'after-close' }))).toBe(true);

    const never = new RedisRevocationList({ redis, prefix });
    await never.close();
    await expect(never.ready()).rejects.toThrow(/closed/);
  });
});
