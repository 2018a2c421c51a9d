/**
 * DPoP replay detection shared by several instances through Redis: a proof accepted by one
 * instance is a replay on the other (same public URL behind a load balancer).
 */
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { Redis } from 'ioredis';
import { RedisDpopReplayCache, redisClientOptions } from '../../lib/redis/index.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { connectRedis, deleteAll, scanAll, uniquePrefix } from './redis-support.js';

const PUBLIC_HOST = 'orders.acme.test';

/** A request as a load balancer would forward it: the public Host header, to one instance. */
function call(app: RunningApp, token: string, proof: string): Promise<{ status: number; challenge: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}/me`, { headers: { host: PUBLIC_HOST, authorization: `DPoP ${token}`, dpop: proof }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DPoP replay cache on Redis', () => {
  let issuer: TestIssuer;
  let redis: Redis;
  let prefix: string;
  let a: RunningApp;
  let b: RunningApp;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jkt: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    redis = await connectRedis();
    prefix = uniquePrefix();
    keys = await generateKeyPair('ES256', { extractable: true });
    jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256');
    const options = { issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' };
    a = await startApp('express', { ...options, dpop: { origins: [`http://${PUBLIC_HOST}`], replayCache: new RedisDpopReplayCache({ redis, prefix }) } });
    b = await startApp('nest-express', { ...options, dpop: { origins: [`http://${PUBLIC_HOST}`], replayCache: new RedisDpopReplayCache({ redis, prefix }) } });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await deleteAll(redis, prefix);
    await redis.quit();
    await issuer.close();
  });

  async function proof(token: string): Promise<string> {
    return new SignJWT({ htm: 'GET', htu: `http://${PUBLIC_HOST}/me`, ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(keys.privateKey);
  }

  it('refuses on one instance a proof already used on another', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const once = await proof(token);
    expect((await call(a, token, once)).status).toBe(200);
    const replay = await call(b, token, once);
    expect(replay.status).toBe(401);
    expect(replay.challenge).toContain('error="invalid_dpop_proof", error_description="The DPoP proof has been used before"');
    expect((await call(b, token, await proof(token))).status).toBe(200);
  });

  it('keeps no token or proof in Redis, only hashed proof ids that expire', async () => {
    const entries = await scanAll(redis, prefix);
    expect(entries.size).toBeGreaterThan(0);
    for (const [key, value] of entries) {
      expect(key).toMatch(new RegExp(`^${prefix}d:[A-Za-z0-9_-]{43}$`));
      expect(value).toBe('1');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
  });

  it('keeps a proof id for the proof\'s whole lifetime, counted from its iat (maxAge + clockTolerance)', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const once = await proof(token);
    expect((await call(a, token, once)).status).toBe(200);
    const ttls = await Promise.all([...(await scanAll(redis, prefix)).keys()].map((key) => redis.pttl(key)));
    // iat is this second: acceptable for 60 + 5 s from it, so at most 65 s and more than 60 s are left.
    expect(Math.max(...ttls)).toBeGreaterThan(60_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(65_001);
  });

  it('refuses a misspelled option', () => {
    expect(() => new RedisDpopReplayCache({ redis, prefx: 'x' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: 'Unknown option "prefx": did you mean "prefix"?' }),
    );
  });

  it('refuses DPoP requests with 503 when Redis cannot confirm a proof is fresh', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', { ...redisClientOptions, lazyConnect: true, retryStrategy: () => null });
    unreachable.on('error', () => undefined);
    const app = await startApp('express', {
      issuer: issuer.issuer,
      audience: 'test-project',
      logger: { warn: () => undefined, error: () => undefined },
      dpop: {
        origins: [`http://${PUBLIC_HOST}`],
        replayCache: new RedisDpopReplayCache({ redis: unreachable, prefix, logger: { warn: () => undefined, error: () => undefined } }),
      },
    });
    try {
      const token = await issuer.mintJwt({ cnf: { jkt } });
      const response = await call(app, token, await proof(token));
      expect(response.status).toBe(503);
    } finally {
      await app.close();
      unreachable.disconnect();
    }
  });
});
