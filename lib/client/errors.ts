/**
 * Every failure of a {@link TokenSource}, as one error class with a stable `code`.
 *
 * Messages are meant for operators: they name the option, the endpoint or the HTTP status,
 * and never contain a client secret, a private key, a signed assertion or an access token.
 */

/**
 * Stable codes; switch on them, never on the message. New codes may be added in minor
 * versions; existing ones never change.
 *
 * - `ERR_INVALID_OPTIONS`: the options (or the key file) are wrong; thrown at construction.
 * - `ERR_DISCOVERY`: `{issuer}/.well-known/openid-configuration` could not be read or names
 *   no usable `token_endpoint`. Transient or a wrong `issuer`.
 * - `ERR_TOKEN_ENDPOINT`: the token endpoint is unreachable, too slow, or answered an
 *   unexpected status (5xx, 429, a redirect, a 4xx without an OAuth error). Transient.
 * - `ERR_TOKEN_REJECTED`: the token endpoint refused the request with an OAuth error
 *   (`invalid_client`, `invalid_grant`, `invalid_scope`, …): the credentials, the key or the
 *   scope are wrong. Retrying does not help; see {@link TokenSourceError.oauthError}.
 * - `ERR_TOKEN_RESPONSE`: a 200 answer that is not a usable token response (not a JSON
 *   object, no `access_token`, `token_type` not `Bearer`, a bad `expires_in`).
 */
export type TokenSourceErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_DISCOVERY'
  | 'ERR_TOKEN_ENDPOINT'
  | 'ERR_TOKEN_REJECTED'
  | 'ERR_TOKEN_RESPONSE';

/**
 * The error a token source throws (at construction) or rejects with (from `getToken()`).
 *
 * @example
 * ```ts
 * try {
 *   await tokens.getToken();
 * } catch (error) {
 *   if (error instanceof TokenSourceError && error.code === 'ERR_TOKEN_REJECTED') {
 *     // wrong key or secret: alert, do not retry in a loop
 *   }
 *   throw error;
 * }
 * ```
 */
export class TokenSourceError extends Error {
  /** Stable machine-readable code. */
  readonly code: TokenSourceErrorCode;
  /** HTTP status of the answer that caused the error, when there was one. */
  readonly status: number | undefined;
  /** The OAuth `error` value (RFC 6749 §5.2) the token endpoint answered, e.g. `invalid_grant`. */
  readonly oauthError: string | undefined;

  constructor(
    code: TokenSourceErrorCode,
    message: string,
    options: { readonly status?: number; readonly oauthError?: string; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TokenSourceError';
    this.code = code;
    this.status = options.status;
    this.oauthError = options.oauthError;
  }
}

/** Throws an `ERR_INVALID_OPTIONS` error. */
export function invalidOption(message: string): never {
  throw new TokenSourceError('ERR_INVALID_OPTIONS', message);
}
