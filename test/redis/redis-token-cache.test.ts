import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RedisTokenCache, RedisUnavailableError } from '../../lib/redis/index.js';
import { LogCapture } from '../support/log-capture.js';
import { CACHE_SECRET, connectRedis, deleteAll, scanAll, uniquePrefix, waitFor } from './redis-support.js';

interface Value {
  readonly n: number;
}

describe('RedisTokenCache', () => {
  let redis: Redis;
  let prefix: string;
  let logs: LogCapture;

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
    await deleteAll(redis, prefix);
  });

  function cache(options: { l1Ttl?: number; client?: Redis } = {}): RedisTokenCache<Value> {
    return new RedisTokenCache<Value>({ redis: options.client ?? redis, prefix, logger: logs, l1Ttl: options.l1Ttl, secret: CACHE_SECRET });
  }

  it('validates its options once, naming the option', () => {
    const invalid = (options: object) => {
      try {
        new RedisTokenCache(options as never);
      } catch (error) {
        return { code: (error as { code?: string }).code, message: (error as Error).message };
      }
      return undefined;
    };
    const secret = CACHE_SECRET;
    expect(invalid({})).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"redis"') });
    expect(invalid({ redis, secret, l1Ttl: -1 })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"l1Ttl"') });
    expect(invalid({ redis, secret, l1Max: 0 })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"l1Max"') });
    expect(invalid({ redis, secret, prefix: 'a b' })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"prefix"') });
    expect(invalid({ redis, secret, commandTimeout: 1.5 })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"commandTimeout"') });
    expect(invalid({ redis, secret, logger: {} })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"logger"') });
    expect(invalid({ redis })).toEqual({
      code: 'ERR_INVALID_OPTIONS',
      message:
        '"secret" option is required: at least 32 random bytes, the same on every instance of this API, e.g. the output of `openssl rand -base64 32` kept like a password. ' +
        'Entries in Redis are authenticated with it (HMAC-SHA256 over key and value), so that whoever can write to this Redis cannot forge an introspection answer',
    });
    expect(invalid({ redis, secret: 'short-secret' })).toEqual({
      code: 'ERR_INVALID_OPTIONS',
      message: '"secret" option must be at least 32 bytes (got 12): at least 32 random bytes, the same on every instance of this API, e.g. the output of `openssl rand -base64 32` kept like a password',
    });
    expect(invalid({ redis, secret: 12345 })).toEqual({
      code: 'ERR_INVALID_OPTIONS',
      message: expect.stringMatching(/^"secret" option must be a string or a Buffer of at least 32 random bytes.* \(got 12345\)$/),
    });
    expect(invalid({ redis, secret: [] })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expect.stringContaining('"secret" option must be a secret or a non-empty list of secrets') });
    expect(invalid({ redis, secret, maxTtl: 600_000 })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: '"maxTtl" option must be an integer from 1000 to 300000 (got 600000)' });
    expect(invalid({ redis, secret, l1ttl: 100 })).toEqual({ code: 'ERR_INVALID_OPTIONS', message: 'Unknown option "l1ttl": did you mean "l1Ttl"?' });
  });

  it('shares entries between instances through Redis, with the TTL it is given', async () => {
    const one = cache();
    const two = cache();
    await one.set('hash-1', { n: 1 }, 10_000);
    expect(await two.get('hash-1')).toEqual({ n: 1 });
    expect(two.localSize).toBe(1);
    const stored = await scanAll(redis, prefix);
    expect([...stored.keys()]).toEqual([`${prefix}c:hash-1`]);
    expect(one.redisKey('hash-1')).toBe(`${prefix}c:hash-1`);
    const raw = stored.get(`${prefix}c:hash-1`)!;
    expect(raw).toMatch(/^v1\.[A-Za-z0-9_-]{43}\.\{/);
    const value = JSON.parse(raw.slice(47)) as { t: number; e: number; v: Value };
    expect(value.v).toEqual({ n: 1 });
    expect(value.e).toBeGreaterThan(Date.now() + 9000);
    expect(value.e - value.t).toBe(10_000);
    const ttl = await redis.pttl(`${prefix}c:hash-1`);
    expect(ttl).toBeGreaterThan(9000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(await two.get('unknown')).toBeUndefined();
  });

  it('stores nothing for a TTL of 0 or less', async () => {
    const one = cache();
    await one.set('hash-0', { n: 0 }, 0);
    await one.set('hash-neg', { n: 0 }, -5);
    expect(await one.get('hash-0')).toBeUndefined();
    expect((await scanAll(redis, prefix)).size).toBe(0);
  });

  it('keeps an entry in memory for at most l1Ttl, so instances converge after a delete', async () => {
    const one = cache({ l1Ttl: 100 });
    const two = cache({ l1Ttl: 100 });
    await one.set('hash-2', { n: 2 }, 10_000);
    expect(await two.get('hash-2')).toEqual({ n: 2 });
    await one.delete('hash-2');
    expect(await one.get('hash-2')).toBeUndefined();
    expect(two.localSize).toBe(1); // still in two's memory ...
    await waitFor(async () => (await two.get('hash-2')) === undefined, 300); // ... for at most l1Ttl
  });

  it('with l1Ttl 0, asks Redis every time', async () => {
    const one = cache({ l1Ttl: 0 });
    await one.set('hash-3', { n: 3 }, 10_000);
    expect(one.localSize).toBe(0);
    expect(await one.get('hash-3')).toEqual({ n: 3 });
    await redis.del(`${prefix}c:hash-3`);
    expect(await one.get('hash-3')).toBeUndefined();
  });

  it('evictLocal drops an entry from memory only', async () => {
    const one = cache();
    await one.set('hash-4', { n: 4 }, 10_000);
    one.evictLocal('hash-4');
    expect(one.localSize).toBe(0);
    expect(await one.get('hash-4')).toEqual({ n: 4 });
  });

  it('ignores an entry without a valid MAC (garbage, unsealed JSON, another secret), with one warning a minute', async () => {
    const one = cache();
    const otherSecret = new RedisTokenCache<Value>({ redis, prefix, logger: logs, secret: 'another deployment, another secret 0123456789' });
    await redis.set(`${prefix}c:garbage`, 'not json', 'PX', 10_000);
    await redis.set(`${prefix}c:unsealed`, JSON.stringify({ t: Date.now(), e: Date.now() + 10_000, v: { n: 5 } }), 'PX', 10_000);
    await otherSecret.set('foreign', { n: 6 }, 10_000);
    expect(await one.get('garbage')).toBeUndefined();
    expect(await one.get('unsealed')).toBeUndefined();
    expect(await one.get('foreign')).toBeUndefined();
    expect(logs.lines.filter((line) => line.includes('has a missing or wrong MAC'))).toEqual([
      `warn An entry under "${prefix}c:" has a missing or wrong MAC and is ignored: it was written without this cache's "secret" ` +
        '(another program, an instance with another secret, or a forgery). Give every instance of this API the same secret',
    ]);
  });

  it('accepts entries sealed with an older secret while rotating ([new, old]), and seals with the new one', async () => {
    const oldSecret = CACHE_SECRET;
    const newSecret = 'the next secret of this deployment, 32+ bytes long';
    await cache().set('hash-rot', { n: 7 }, 10_000);
    const rotating = new RedisTokenCache<Value>({ redis, prefix, logger: logs, l1Ttl: 0, secret: [newSecret, oldSecret] });
    expect(await rotating.get('hash-rot')).toEqual({ n: 7 });
    await rotating.set('hash-new', { n: 8 }, 10_000);
    const onlyNew = new RedisTokenCache<Value>({ redis, prefix, logger: logs, l1Ttl: 0, secret: newSecret });
    expect(await onlyNew.get('hash-new')).toEqual({ n: 8 });
    expect(await onlyNew.get('hash-rot')).toBeUndefined();
  });

  it('never fails get/set when Redis is unreachable: memory only, one warning; delete throws', async () => {
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const one = cache({ client: dead });
    const started = performance.now();
    expect(await one.get('hash-5')).toBeUndefined();
    await one.set('hash-5', { n: 5 }, 10_000);
    expect(await one.get('hash-5')).toEqual({ n: 5 }); // from memory
    expect(await one.get('hash-6')).toBeUndefined();
    await expect(one.delete('hash-5')).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(one.delete('hash-5')).rejects.toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(logs.lines.filter((line) => line.includes('Redis is unavailable for the token cache'))).toHaveLength(1);
    dead.disconnect();
  });

  it('gives up on a Redis that does not answer after commandTimeout', async () => {
    // A client whose commands never get an answer: connected to a server that never replies.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const hung = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, protocol: 2, disableClientInfo: true, retryStrategy: () => null });
    hung.on('error', () => undefined);
    await waitFor(() => hung.status === 'ready' || hung.status === 'connect', 1000);
    const one = new RedisTokenCache<Value>({ redis: hung, prefix, logger: logs, commandTimeout: 50, secret: CACHE_SECRET });
    const started = performance.now();
    expect(await one.get('hash-7')).toBeUndefined();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(500);
    expect(logs.text()).toContain('Redis did not answer within 50 ms');
    hung.disconnect();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('lib/redis imports ioredis for its types only', () => {
    const dir = new URL('../../lib/redis/', import.meta.url);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      expect({ file, runtimeImport: /^import (?!type )[^;]*from 'ioredis'/m.test(source) }).toEqual({ file, runtimeImport: false });
    }
  });
});
