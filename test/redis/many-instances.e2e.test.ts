/**
 * Two instances of one API (Express and Nest on Express), each with its own resource
 * server, Redis client, cache and revocation list, sharing one Redis.
 */
import type { Redis } from 'ioredis';
import { hashToken } from '../../lib/core/token-hash.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import type { AppKind } from '../support/apps.js';
import { get } from '../support/send.js';
import { connectRedis, deleteAll, scanAll, startRedisInstance, uniquePrefix, waitFor } from './redis-support.js';
import type { RedisInstance } from './redis-support.js';

type Instance = RedisInstance;

describe('many instances sharing Redis', () => {
  let admin: Redis;
  let issuer: TestIssuer;
  let prefix: string;
  let a: Instance;
  let b: Instance;
  /** Every token minted in a test: none may appear in Redis, a message or a log line. */
  const minted: string[] = [];
  const messages: string[] = [];
  let listener: Redis;

  function instance(kind: AppKind, linkCache: boolean, overrides: Partial<ResourceServerOptions> = {}): Promise<Instance> {
    return startRedisInstance({ kind, issuer, prefix, linkCache, overrides });
  }

  function opaque(claims: Record<string, unknown> = {}): string {
    const token = issuer.mintOpaque({ ...issuer.roleClaims(['orders.read']), ...claims });
    minted.push(token);
    return token;
  }

  async function jwt(claims: Record<string, unknown> = {}): Promise<string> {
    const token = await issuer.mintJwt({ ...issuer.roleClaims(['orders.read']), ...claims });
    minted.push(token);
    return token;
  }

  beforeAll(async () => {
    admin = await connectRedis();
    listener = await connectRedis();
  });

  afterAll(async () => {
    await listener?.quit();
    await admin?.quit();
  });

  beforeEach(async () => {
    prefix = uniquePrefix();
    issuer = await createTestIssuer();
    await listener.subscribe(`${prefix}revocations`);
    listener.on('message', (_channel: string, message: string) => messages.push(message));
  });

  /** Instance A on Express, B on Nest (Express); `linkCache`: revocations purge the cache. */
  async function startPair(linkCache = true): Promise<void> {
    a = await instance('express', linkCache);
    b = await instance('nest-express', linkCache);
  }

  afterEach(async () => {
    const logText = [a?.logs.text() ?? '', b?.logs.text() ?? ''];
    await a?.close();
    await b?.close();
    a = undefined as unknown as Instance;
    b = undefined as unknown as Instance;
    await issuer.close();
    listener.removeAllListeners('message');
    await listener.unsubscribe();
    // No raw token in any key, value, pub/sub message or log line.
    const stored = await scanAll(admin, prefix);
    const everything = [...stored.keys(), ...stored.values(), ...messages, ...logText].join('\n');
    for (const token of minted) expect(everything).not.toContain(token);
    minted.length = 0;
    messages.length = 0;
    await deleteAll(admin, prefix);
  });

  it('shares introspection answers: the second instance does not ask the issuer again', async () => {
    await startPair();
    const token = opaque();
    expect((await get(`${a.app.url}/me`, token)).status).toBe(200);
    expect(issuer.requests.introspection).toBe(1);

    const fromB = await get(`${b.app.url}/me`, token);
    expect(fromB.status).toBe(200);
    expect(fromB.body).toMatchObject({ subject: expect.any(String), verifiedBy: 'introspection', tokenKind: 'opaque' });
    expect((await get(`${b.app.url}/orders`, token)).status).toBe(403); // no orders:read scope: policy still applies
    expect(issuer.requests.introspection).toBe(1);

    // And the other way round, for a token B saw first.
    const second = opaque();
    expect((await get(`${b.app.url}/me`, second)).status).toBe(200);
    expect((await get(`${a.app.url}/me`, second)).status).toBe(200);
    expect(issuer.requests.introspection).toBe(2);

    // What is in Redis: hashed keys, JSON values with the expiry, under the prefix.
    const stored = await scanAll(admin, prefix);
    expect([...stored.keys()].sort()).toEqual([`${prefix}c:${hashToken(token)}`, `${prefix}c:${hashToken(second)}`].sort());
    const ttl = await admin.pttl(`${prefix}c:${hashToken(token)}`);
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    const sealed = stored.get(`${prefix}c:${hashToken(token)}`)!;
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{43}\./); // authenticated with the deployment's secret
    const value = JSON.parse(sealed.slice(47)) as { e: number; v: { result: { active: boolean } } };
    expect(value.v.result.active).toBe(true);
  });

  it('shares inactive answers too', async () => {
    await startPair();
    const token = issuer.mintOpaque({}, { active: false });
    minted.push(token);
    expect((await get(`${a.app.url}/me`, token)).status).toBe(401);
    expect((await get(`${b.app.url}/me`, token)).status).toBe(401);
    expect(issuer.requests.introspection).toBe(1);
  });

  it('honours a revocation by token on the other instance within 200 ms, although the token is in its cache', async () => {
    await startPair(false); // no purge: B's cached verdict stays, and the list refuses anyway
    const token = opaque();
    for (const instance of [a, b, a, b]) expect((await get(`${instance.app.url}/me`, token)).status).toBe(200);
    expect(b.cache.localSize).toBe(1); // B answers from its memory
    expect(issuer.requests.introspection).toBe(1);

    const started = performance.now();
    await a.revocation.revoke({ token });
    const lag = await waitFor(async () => (await get(`${b.app.url}/me`, token)).status === 401, 1000);
    expect(performance.now() - started).toBeLessThan(200);
    expect(lag).toBeLessThan(200);
    expect((await get(`${a.app.url}/me`, token)).status).toBe(401);
    const refused = await get(`${b.app.url}/me`, token);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(b.cache.localSize).toBe(1); // refused on a cache hit
    expect(issuer.requests.introspection).toBe(1);
    expect(messages).toEqual([JSON.stringify({ tokenHash: hashToken(token) })]);
  });

  it('a revocation by token drops its cache entry from Redis and from every instance\'s memory', async () => {
    await startPair();
    const token = opaque();
    for (const instance of [a, b]) expect((await get(`${instance.app.url}/me`, token)).status).toBe(200);
    expect(a.cache.localSize).toBe(1);
    expect(b.cache.localSize).toBe(1);

    await a.revocation.revoke({ token });
    expect(await admin.exists(`${prefix}c:${hashToken(token)}`)).toBe(0);
    expect(a.cache.localSize).toBe(0);
    expect(await waitFor(() => b.cache.localSize === 0, 200)).toBeLessThan(200);
    // The list refuses it; the issuer is asked once more (nothing cached), and only once.
    expect((await get(`${b.app.url}/me`, token)).status).toBe(401);
    expect((await get(`${a.app.url}/me`, token)).status).toBe(401);
    expect(issuer.requests.introspection).toBe(2);
  });

  it('honours a revocation by jti and by subject on the other instance within 200 ms (JWTs, cached after verification)', async () => {
    await startPair();
    const first = await jwt({ sub: 'user-1' });
    const second = await jwt({ sub: 'user-2' });
    for (const instance of [a, b, a, b]) {
      expect((await get(`${instance.app.url}/me`, first)).status).toBe(200);
      expect((await get(`${instance.app.url}/me`, second)).status).toBe(200);
    }
    const jti = (JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string }).jti;

    const byJti = performance.now();
    await b.revocation.revoke({ jti });
    await waitFor(async () => (await get(`${a.app.url}/me`, first)).status === 401, 1000);
    expect(performance.now() - byJti).toBeLessThan(200);
    expect((await get(`${a.app.url}/me`, second)).status).toBe(200);

    const bySubject = performance.now();
    await b.revocation.revoke({ subject: 'user-2', issuedBefore: new Date(Date.now() + 1000) });
    await waitFor(async () => (await get(`${a.app.url}/me`, second)).status === 401, 1000);
    expect(performance.now() - bySubject).toBeLessThan(200);
    expect((await get(`${b.app.url}/me`, second)).status).toBe(401);

    // A token issued after the subject's cut-off is accepted.
    const later = await jwt({ sub: 'user-2', iat: Math.floor(Date.now() / 1000) + 2 });
    expect((await get(`${a.app.url}/me`, later)).status).toBe(200);
  });

  it('refuses a revoked token on active-token routes too, and a revoked token stays refused after the memory expires', async () => {
    await startPair();
    const token = opaque();
    expect((await get(`${b.app.url}/active`, token)).status).toBe(200);
    await a.revocation.revoke({ tokenHash: hashToken(token) });
    await waitFor(async () => (await get(`${b.app.url}/active`, token)).status === 401, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the list's memory (l1Ttl 1 s)
    expect((await get(`${b.app.url}/me`, token)).status).toBe(401);
    expect((await get(`${a.app.url}/active`, token)).status).toBe(401);
  });
});
