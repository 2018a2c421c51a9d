import { TokenSourceError } from './errors.js';
import { resolveTokenSourceOptions } from './options.js';
import type { ResolvedTokenSourceOptions, TokenSourceOptions } from './options.js';
import { TokenEndpoint } from './token-endpoint.js';
import { grantRequest, requestToken } from './token-request.js';

/** A service user's access token, fetched when needed and kept until shortly before it expires. */
export interface TokenSource {
  /**
   * A valid access token: the cached one, or a new one when there is none or the cached one
   * is within the refresh window. Concurrent calls share one token request (and its failure;
   * a failure is not cached). Rejects with a {@link TokenSourceError}.
   */
  getToken(): Promise<string>;
  /** The `Authorization` header value for an outgoing call: `Bearer <token>`. */
  authorizationHeader(): Promise<string>;
  /**
   * Drops the cached token, so the next {@link TokenSource.getToken} fetches a new one; call
   * it when the API you called answers 401 `invalid_token`. Pass the rejected token to drop
   * it only if it is still the cached one: many requests failing with one token then cost
   * one new token, not one each.
   */
  invalidate(token?: string): void;
}

/** After a failed refresh that fell back to the current token, no new attempt for this long. */
const RETRY_AFTER_FAILED_REFRESH_MS = 5000;

/** Share of a token's lifetime that the refresh window may take at most. */
const MAX_SKEW_SHARE = 0.1;

interface CachedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
}

/**
 * Creates a token source for a ZITADEL service user, for APIs that call other APIs: the
 * JWT profile grant (the service user's key file) or client credentials (client id and
 * secret). Options (and the key file) are checked here; a mistake throws a
 * {@link TokenSourceError} with code `ERR_INVALID_OPTIONS` naming the option. Nothing is
 * fetched until the first {@link TokenSource.getToken}.
 *
 * The token is cached until `expires_in` minus `refreshSkew` (60 s, at most 10 % of the
 * lifetime). If a refresh fails while the cached token has not expired yet, the cached
 * token is returned, a warning is logged once, and no new attempt is made for 5 s.
 *
 * @example
 * ```ts
 * import { createTokenSource, projectAudienceScope } from 'zitadel-resource-server/client';
 *
 * const tokens = createTokenSource({
 *   issuer: 'https://acme.zitadel.cloud',
 *   scope: ['openid', projectAudienceScope('294800000000000001')],
 *   credentials: { type: 'jwt_profile', keyFile: '/run/secrets/orders-batch.json' },
 * });
 *
 * const res = await fetch('https://orders.internal/api/orders', {
 *   headers: { authorization: await tokens.authorizationHeader() },
 * });
 * ```
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  return new CachingTokenSource(resolveTokenSourceOptions(options));
}

class CachingTokenSource implements TokenSource {
  readonly #options: ResolvedTokenSourceOptions;
  readonly #endpoint: TokenEndpoint;
  #current: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  /** While the current token is in its refresh window: no refresh attempt before this time. */
  #retryAt = Number.NEGATIVE_INFINITY;
  /** A failed refresh has been logged; reset by the next success. */
  #warned = false;

  constructor(options: ResolvedTokenSourceOptions) {
    this.#options = options;
    this.#endpoint = new TokenEndpoint({
      issuer: options.issuer,
      tokenEndpoint: options.tokenEndpoint,
      fetch: options.fetch,
      timeoutMs: options.timeout,
    });
  }

  async getToken(): Promise<string> {
    const now = this.#options.now();
    const current = this.#current;
    if (current !== undefined && now < current.expiresAt && (now < current.refreshAt || now < this.#retryAt)) {
      return current.accessToken;
    }
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async authorizationHeader(): Promise<string> {
    return `Bearer ${await this.getToken()}`;
  }

  invalidate(token?: string): void {
    if (token !== undefined && this.#current?.accessToken !== token) return;
    this.#current = undefined;
    this.#retryAt = Number.NEGATIVE_INFINITY;
  }

  async #refresh(): Promise<string> {
    const { now } = this.#options;
    const startedAt = now();
    try {
      const grant = await grantRequest(this.#options);
      const endpoint = await this.#endpoint.url();
      const { accessToken, expiresIn } = await requestToken(endpoint, grant, {
        fetch: this.#options.fetch,
        timeoutMs: this.#options.timeout,
      });
      // Lifetime counted from when the request was sent: never later than the issuer's clock.
      const lifetime = expiresIn * 1000;
      const skew = Math.min(this.#options.refreshSkew, lifetime * MAX_SKEW_SHARE);
      this.#current = { accessToken, expiresAt: startedAt + lifetime, refreshAt: startedAt + lifetime - skew };
      this.#retryAt = Number.NEGATIVE_INFINITY;
      this.#warned = false;
      return accessToken;
    } catch (cause) {
      const error =
        cause instanceof TokenSourceError
          ? cause
          : new TokenSourceError('ERR_TOKEN_ENDPOINT', 'The token request failed unexpectedly', { cause });
      const current = this.#current;
      const failedAt = now();
      if (current === undefined || failedAt >= current.expiresAt) throw error;
      this.#retryAt = failedAt + RETRY_AFTER_FAILED_REFRESH_MS;
      if (!this.#warned) {
        this.#warned = true;
        const left = Math.ceil((current.expiresAt - failedAt) / 1000);
        this.#options.logger.warn(
          `Service-user token refresh failed (${error.code}: ${error.message}); the current token stays in use until it expires in ${left} s`,
        );
      }
      return current.accessToken;
    }
  }
}
