/**
 * Redis goes away mid-test (a private redis-server, killed or paused): requests go on per
 * the documented semantics and none waits much longer than the Redis command timeout.
 */
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import type { AppKind } from '../support/apps.js';
import { get } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { startPrivateRedis, startRedisInstance, uniquePrefix, waitFor } from './redis-support.js';
import type { PrivateRedis, RedisInstance } from './redis-support.js';

/** Redis command timeout of the cache and the list (the default). */
const COMMAND_TIMEOUT_MS = 200;
/** Longest a request may take while Redis is down: a few Redis deadlines plus the issuer call. */
const MAX_REQUEST_MS = 4 * COMMAND_TIMEOUT_MS + 600;

type Instance = RedisInstance;

describe('Redis outage', () => {
  let server: PrivateRedis;
  let issuer: TestIssuer;
  let prefix: string;
  let open: Instance;
  let closed: Instance;

  function instance(kind: AppKind, overrides: Partial<ResourceServerOptions>): Promise<Instance> {
    return startRedisInstance({ kind, issuer, prefix, url: server.url, overrides });
  }

  /** A request that must not hang. */
  async function call(instance: Instance, path: string, token: string): Promise<Sent> {
    const response = await get(`${instance.app.url}${path}`, token);
    expect(response.ms).toBeLessThan(MAX_REQUEST_MS);
    return response;
  }

  function opaque(): string {
    return issuer.mintOpaque(issuer.roleClaims(['orders.read']));
  }

  beforeEach(async () => {
    server = await startPrivateRedis();
    prefix = uniquePrefix();
    issuer = await createTestIssuer();
    open = await instance('express', { revocationUnavailable: 'fail-open' });
    closed = await instance('nest-express', { revocationUnavailable: 'fail-closed' });
  });

  afterEach(async () => {
    await open?.close();
    await closed?.close();
    await issuer?.close();
    await server?.stop();
  });

  it('Redis killed: opaque tokens are still verified by the issuer; 503 only where revocation must be checked; recovers when Redis is back', async () => {
    const known = opaque();
    expect((await call(open, '/me', known)).status).toBe(200);
    expect((await call(closed, '/me', known)).status).toBe(200);
    expect((await call(open, '/active', known)).status).toBe(200);

    await server.kill();
    await waitFor(() => open.redis.status !== 'ready' && closed.redis.status !== 'ready', 2000);
    const before = issuer.requests.introspection;

    // fail-open: goes on, with the issuer (and this instance's memory) instead of Redis.
    for (let i = 0; i < 5; i += 1) expect((await call(open, '/me', known)).status).toBe(200);
    const fresh = opaque();
    const freshAnswer = await call(open, '/me', fresh);
    expect(freshAnswer.status).toBe(200);
    expect(freshAnswer.body).toMatchObject({ verifiedBy: 'introspection' });
    expect(issuer.requests.introspection).toBeGreaterThan(before);
    // ... except on routes that demand an active token.
    const active = await call(open, '/active', known);
    expect(active.status).toBe(503);
    expect(active.headers['retry-after']).toMatch(/^\d+$/);

    // fail-closed: 503 everywhere a token is checked.
    expect((await call(closed, '/me', known)).status).toBe(503);
    expect((await call(closed, '/me', fresh)).status).toBe(503);
    expect((await call(closed, '/active', known)).status).toBe(503);

    // One line per kind of problem, not one per request.
    const cacheWarnings = open.logs.lines.filter((line) => line.includes('Redis is unavailable for the token cache'));
    expect(cacheWarnings).toHaveLength(1);
    expect(open.logs.lines.filter((line) => line.includes('revocationUnavailable: "fail-open"'))).toHaveLength(1);
    expect(closed.logs.text()).toContain('The revocation list cannot be read');

    // Redis is back: revocations work again, on both instances.
    await server.restart();
    await waitFor(() => open.redis.status === 'ready' && closed.redis.status === 'ready', 5000, 20);
    await open.revocation.ready();
    expect((await call(closed, '/me', known)).status).toBe(200);
    await closed.revocation.revoke({ token: known });
    await waitFor(async () => (await call(open, '/me', known)).status === 401, 200);
    expect((await call(open, '/me', fresh)).status).toBe(200);
  }, 30_000);

  it('Redis hanging: every Redis call gives up after the command timeout; same answers as when it is down', async () => {
    const known = opaque();
    expect((await call(open, '/me', known)).status).toBe(200);
    expect((await call(closed, '/me', known)).status).toBe(200);

    server.pause();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the list's memory of answers (1 s)
      expect((await call(open, '/me', known)).status).toBe(200);
      const fresh = opaque();
      const slowest = await call(open, '/me', fresh);
      expect(slowest.status).toBe(200);
      expect(slowest.ms).toBeLessThan(2 * COMMAND_TIMEOUT_MS + 300); // the cache gives up once, the list once
      expect((await call(open, '/active', known)).status).toBe(503);
      const refused = await call(closed, '/me', known);
      expect(refused.status).toBe(503);
      expect(refused.ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 20);
      expect(open.logs.text()).toMatch(/Redis did not answer within 200 ms|Command timed out/);
    } finally {
      server.resume();
    }
    await waitFor(async () => (await call(closed, '/me', known)).status === 200, 3000, 50);
  }, 30_000);
});
