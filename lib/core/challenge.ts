import type { AuthError } from './errors.js';
import { InsufficientScopeError, IssuerUnavailableError } from './errors.js';

/** What the `WWW-Authenticate` challenge says besides the error. */
export interface ChallengeOptions {
  /** `realm` auth-param; omitted when empty. */
  readonly realm?: string | undefined;
  /** RFC 9728 `resource_metadata` URL; omitted when absent. */
  readonly resourceMetadata?: string | undefined;
  /** DPoP (RFC 9449) enabled: its `algs`. A bare challenge then offers DPoP as well. */
  readonly dpopAlgorithms?: readonly string[] | undefined;
  /** Only DPoP is accepted: challenges name DPoP alone. */
  readonly dpopOnly?: boolean | undefined;
}

/** An error turned into what goes on the wire, the same for every framework. */
export interface ErrorResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body every HTTP adapter sends: `{ statusCode, error, error_description }`. */
  readonly body: { readonly statusCode: number; readonly error: string; readonly error_description: string };
}

// RFC 6750 §3: error_description and scope values use %x20-21 / %x23-5B / %x5D-7E only.
const UNSAFE_CHARS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

function quote(value: string): string {
  return `"${value.replace(UNSAFE_CHARS, '')}"`;
}

/**
 * Builds the `WWW-Authenticate` value for an error (or for a bare challenge when
 * `error` is undefined or carries no RFC 6750 error code).
 *
 * @example
 * buildChallenge(new InvalidTokenError('ERR_TOKEN_EXPIRED', 'The token has expired'), { realm: 'api' })
 * // 'Bearer realm="api", error="invalid_token", error_description="The token has expired"'
 */
export function buildChallenge(error: AuthError | undefined, options: ChallengeOptions = {}): string {
  const dpop = options.dpopAlgorithms;
  const scheme = error?.challengeScheme === 'DPoP' || (dpop && options.dpopOnly) ? 'DPoP' : 'Bearer';
  const challenge = schemeChallenge(scheme, error, options);
  // Without an error the client may pick either scheme (RFC 9449 §7.1): offer both.
  if (scheme === 'Bearer' && dpop && !error?.error) return `${challenge}, ${schemeChallenge('DPoP', undefined, options)}`;
  return challenge;
}

function schemeChallenge(scheme: 'Bearer' | 'DPoP', error: AuthError | undefined, options: ChallengeOptions): string {
  const params: string[] = [];
  if (options.realm) params.push(`realm=${quote(options.realm)}`);
  if (error?.error) {
    params.push(`error=${quote(error.error)}`, `error_description=${quote(error.message)}`);
    if (error instanceof InsufficientScopeError && error.scopes.length > 0) {
      params.push(`scope=${quote(error.scopes.join(' '))}`);
    }
  }
  if (options.resourceMetadata) params.push(`resource_metadata=${quote(options.resourceMetadata)}`);
  if (scheme === 'DPoP' && options.dpopAlgorithms) params.push(`algs=${quote(options.dpopAlgorithms.join(' '))}`);
  return params.length > 0 ? `${scheme} ${params.join(', ')}` : scheme;
}

/**
 * Turns an {@link AuthError} into status, headers and a small JSON body. Both framework
 * adapters answer through this one function.
 */
export function toErrorResponse(error: AuthError, options: ChallengeOptions = {}): ErrorResponse {
  const headers: Record<string, string> = {};
  if (error instanceof IssuerUnavailableError) {
    headers['retry-after'] = String(error.retryAfter);
  } else {
    headers['www-authenticate'] = buildChallenge(error, options);
  }
  return {
    status: error.status,
    headers,
    body: { statusCode: error.status, error: error.error ?? defaultErrorName(error.status), error_description: error.message },
  };
}

function defaultErrorName(status: number): string {
  return status === 503 ? 'temporarily_unavailable' : 'unauthorized';
}
