/**
 * Redis could not be used: not connected, too slow (past `commandTimeout`), or it answered
 * with an error. {@link RedisTokenCache} never throws it from `get`/`set` (it falls back
 * to its local tier and the issuer); {@link RedisRevocationList.isRevoked} throws it, and
 * the resource server's `revocationUnavailable` option decides what happens then.
 *
 * @example
 * try {
 *   await revocations.revoke({ jti });
 * } catch (error) {
 *   if (error instanceof RedisUnavailableError) retryLater(jti);
 * }
 */
export class RedisUnavailableError extends Error {
  readonly code = 'ERR_REDIS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}
