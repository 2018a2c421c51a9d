/**
 * Helpers of the Redis suite: a client on REDIS_URL that fails loudly when Redis is not
 * there, a key prefix per test, a scan of everything under it, and a private
 * `redis-server` child that a test may kill, pause and restart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { redisClientOptions } from '../../lib/redis/index.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { RedisRevocationList, RedisTokenCache } from '../../lib/redis/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { LogCapture } from '../support/log-capture.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The cache secret of this run (generated, never committed): every instance of a test shares it. */
export const CACHE_SECRET = randomBytes(32).toString('base64');

/** Errors emitted by clients made here (a client without a listener prints "Unhandled error event"). */
export const clientErrors: unknown[] = [];

/** A client with the recommended options, connected (rejects with a clear message when Redis is unreachable). */
export async function connectRedis(url: string = REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, { ...redisClientOptions, lazyConnect: true });
  redis.on('error', (error: unknown) => clientErrors.push(error));
  try {
    await withTimeout(redis.connect(), 3000, 'connect');
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    const parsed = new URL(url);
    throw new Error(`The Redis suite needs Redis at ${parsed.protocol}//${parsed.host} (set REDIS_URL, or start redis-server): ${reason}`);
  }
  return redis;
}

/** A key prefix of its own for each test, so parallel test files never meet. */
export function uniquePrefix(): string {
  return `zrs-test:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/** Every key under `prefix` with its (string) value. */
export async function scanAll(redis: Redis, prefix: string): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) found.set(key, await redis.get(key));
  } while (cursor !== '0');
  return found;
}

export async function deleteAll(redis: Redis, prefix: string): Promise<void> {
  const keys = [...(await scanAll(redis, prefix)).keys()];
  if (keys.length > 0) await redis.del(...keys);
}

/** Polls until `check` is true; resolves with the time it took, or rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 2000, stepMs = 5): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A `redis-server` child on a free port, without persistence. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: connections drop at once. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Kills it if it runs. Idempotent. */
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    started.on('error', () => undefined);
    child = started;
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await waitFor(async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited with code ${started.exitCode}`);
        try {
          if (probe.status === 'wait' || probe.status === 'end') await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        }
      }, 5000, 20);
    } finally {
      probe.disconnect();
    }
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    restart: launch,
    stop: kill,
  };
}

/** One API instance backed by Redis: its own client, cache, revocation list and app. */
export interface RedisInstance {
  readonly app: RunningApp;
  readonly redis: Redis;
  readonly cache: RedisTokenCache;
  readonly revocation: RedisRevocationList;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

/**
 * Starts an app of `kind` whose resource server uses a Redis cache and revocation list under
 * `prefix` (the list purges the cache when `linkCache`), introspecting at `issuer`.
 */
export async function startRedisInstance(options: {
  readonly kind: AppKind;
  readonly issuer: TestIssuer;
  readonly prefix: string;
  readonly url?: string;
  readonly linkCache?: boolean;
  readonly overrides?: Partial<ResourceServerOptions>;
}): Promise<RedisInstance> {
  const { issuer, prefix } = options;
  const logs = new LogCapture();
  const redis = await connectRedis(options.url);
  const cache = new RedisTokenCache({ redis, prefix, logger: logs, secret: CACHE_SECRET });
  const revocation = new RedisRevocationList({ redis, prefix, logger: logs, ...(options.linkCache === false ? {} : { cache }) });
  await revocation.ready();
  const app = await startApp(
    options.kind,
    {
      issuer: issuer.issuer,
      audience: issuer.audience,
      projectId: issuer.projectId,
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient }, cache },
      revocation,
      logger: logs,
      ...options.overrides,
    },
    logs,
  );
  return {
    app,
    redis,
    cache,
    revocation,
    logs,
    async close() {
      await app.close();
      await revocation.close();
      // disconnect(), not quit(): the server may be gone (outage tests).
      redis.disconnect();
    },
  };
}
