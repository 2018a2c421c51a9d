import { clientSecretBasic, requestJson, signJwtAssertion, UpstreamError } from '../core/kernel/index.js';
import type { FetchLike, JsonResponse } from '../core/kernel/index.js';
import { TokenSourceError } from './errors.js';
import type { LoadedServiceAccountKey } from './key-file.js';
import type { ResolvedTokenSourceOptions } from './options.js';

/** RFC 7523 §2.1: ZITADEL's "JWT profile" grant for service users. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Lifetime assumed when a token response has no `expires_in`, in seconds (ZITADEL always sends it). */
export const DEFAULT_EXPIRES_IN = 300;

/** Largest token response read (JWT access tokens with many role claims stay far below). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** RFC 6750 §2.1 `b64token`: what can travel in `Authorization: Bearer …` unchanged. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** RFC 6749 §5.2 `error` / `error_description` characters. */
const ERROR_CODE = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,200}$/;

/** A token request before it is sent. `secrets` must never appear in an error message. */
export interface GrantRequest {
  readonly form: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly secrets: readonly string[];
}

/** A validated token response. */
export interface TokenResponse {
  readonly accessToken: string;
  /** Lifetime in seconds (from `expires_in`, or {@link DEFAULT_EXPIRES_IN}). */
  readonly expiresIn: number;
}

/**
 * Builds the form (and headers) of one token request: a fresh assertion for the JWT profile
 * grant, Basic authentication for client credentials.
 */
export async function grantRequest(options: ResolvedTokenSourceOptions): Promise<GrantRequest> {
  const { credentials, scope } = options;
  const form = new URLSearchParams();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  let secrets: string[];
  if (credentials.type === 'jwt_profile') {
    const assertion = await jwtProfileAssertion(credentials.key, options.issuer, options.now);
    form.set('grant_type', JWT_BEARER_GRANT);
    form.set('assertion', assertion);
    secrets = [assertion];
  } else {
    form.set('grant_type', 'client_credentials');
    await clientSecretBasic(credentials.clientId, credentials.clientSecret)({ headers, form });
    secrets = [credentials.clientSecret, headers.authorization ?? ''];
  }
  if (scope !== undefined) form.set('scope', scope);
  return { form, headers, secrets };
}

/** The JWT profile assertion (RFC 7523 §2.1): {@link signJwtAssertion} with `iss` = `sub` = the service user's id. */
function jwtProfileAssertion(key: LoadedServiceAccountKey, issuer: string, now: () => number): Promise<string> {
  return signJwtAssertion({ keyId: key.keyId, privateKey: key.privateKey, subject: key.userId, audience: issuer, now });
}

/** Sends one token request and validates the answer. Rejects with a `TokenSourceError`. */
export async function requestToken(
  endpoint: string,
  grant: GrantRequest,
  transport: { readonly fetch: FetchLike; readonly timeoutMs: number },
): Promise<TokenResponse> {
  let response: JsonResponse;
  try {
    response = await requestJson({
      url: endpoint,
      method: 'POST',
      headers: grant.headers,
      body: grant.form.toString(),
      fetch: transport.fetch,
      timeoutMs: transport.timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
    });
  } catch (cause) {
    const reason = cause instanceof UpstreamError ? cause.message : 'request failed';
    throw new TokenSourceError('ERR_TOKEN_ENDPOINT', `The token endpoint ${endpoint} could not be reached (${reason})`, { cause });
  }
  return processTokenResponse(endpoint, response, grant.secrets);
}

/** Validates a token endpoint answer strictly (RFC 6749 §5.1, §5.2). */
export function processTokenResponse(endpoint: string, response: JsonResponse, secrets: readonly string[]): TokenResponse {
  const { status } = response;
  const body = isObject(response.body) ? response.body : undefined;
  if (status !== 200) {
    const oauthError = body && typeof body.error === 'string' && ERROR_CODE.test(body.error) ? body.error : undefined;
    if (oauthError !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      const description = safeDescription(body?.error_description, secrets);
      throw new TokenSourceError(
        'ERR_TOKEN_REJECTED',
        `The token endpoint refused the request: HTTP ${status} ${oauthError}${description ? ` (${description})` : ''}${HINTS[oauthError] ?? ''}`,
        { status, oauthError },
      );
    }
    throw new TokenSourceError('ERR_TOKEN_ENDPOINT', `The token endpoint ${endpoint} answered HTTP ${status}`, { status });
  }
  if (body === undefined) {
    throw new TokenSourceError('ERR_TOKEN_RESPONSE', 'The token endpoint answered 200 without a JSON object', { status });
  }
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || !B64TOKEN.test(accessToken)) {
    throw new TokenSourceError('ERR_TOKEN_RESPONSE', 'The token response has no usable "access_token"', { status });
  }
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw new TokenSourceError('ERR_TOKEN_RESPONSE', 'The token response\'s "token_type" is not "Bearer"', { status });
  }
  const expiresIn = body.expires_in;
  if (expiresIn === undefined) return { accessToken, expiresIn: DEFAULT_EXPIRES_IN };
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new TokenSourceError('ERR_TOKEN_RESPONSE', 'The token response\'s "expires_in" is not a positive number', { status });
  }
  return { accessToken, expiresIn };
}

const HINTS: Readonly<Record<string, string>> = {
  invalid_client: ': check the client id and secret, or that the service user exists',
  invalid_grant: ': check the key file (key id, user id, key not expired or removed) and the clock',
  unauthorized_client: ': the service user may not use this grant type',
  invalid_scope: ': check the "scope" option',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The server's `error_description`, if it is plain text that repeats none of our secrets. */
function safeDescription(value: unknown, secrets: readonly string[]): string | undefined {
  if (typeof value !== 'string' || !ERROR_DESCRIPTION.test(value)) return undefined;
  if (secrets.some((secret) => secret !== '' && value.includes(secret))) return undefined;
  if (/[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/.test(value)) return undefined;
  return value;
}
