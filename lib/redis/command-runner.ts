import type { Redis } from 'ioredis';
import type { StoreHealth } from '../core/kernel/index.js';
import { RedisUnavailableError } from './errors.js';

/** States in which a command would wait for a reconnection: refused at once instead. */
const DISCONNECTED: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

/**
 * Runs a command on the caller's client with a deadline, whatever the client's own
 * `commandTimeout` and offline queue: a Redis that is down fails at once, a slow one after
 * `timeoutMs`. Every failure becomes a {@link RedisUnavailableError}.
 */
export class RedisCommandRunner {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  /** The connection's state, read without a round trip (ioredis' `status`); the address, never a password. */
  health(): StoreHealth {
    const status = this.redis.status;
    const options = (this.redis as { options?: { host?: unknown; port?: unknown; db?: unknown; path?: unknown } }).options;
    let endpoint: string | undefined;
    if (typeof options?.path === 'string') endpoint = `redis+unix://${options.path}`;
    else if (typeof options?.host === 'string') endpoint = `redis://${options.host}:${String(options.port ?? 6379)}/${String(options.db ?? 0)}`;
    return { reachable: status === 'ready', status, ...(endpoint === undefined ? {} : { endpoint }) };
  }

  async run<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    const status = this.redis.status;
    if (DISCONNECTED.has(status)) throw new RedisUnavailableError(`Redis is not connected (status "${status}")`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([command(this.redis), deadline]);
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      throw new RedisUnavailableError(`Redis command failed: ${describeError(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A short reason for a log line (an error's name and message; never a stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return 'unknown error';
}
