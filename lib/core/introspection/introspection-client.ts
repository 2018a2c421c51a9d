import { InvalidTokenError } from '../errors.js';
import { requestJson, UpstreamError } from '../http.js';
import { isRepresentableNumericDate } from '../principal.js';
import type { FetchLike, JsonResponse, RequestObserver } from '../http.js';
import type { ClientAuth } from './client-auth.js';

/** The verdict of one introspection (RFC 7662). Serializable, so shared caches can hold it. */
export type IntrospectionResult =
  | { readonly active: true; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly active: false };

/** The introspection endpoint refused our own client credentials: a misconfiguration. */
export class IntrospectionClientError extends UpstreamError {}

export interface IntrospectionRequestOptions {
  readonly endpoint: string;
  readonly auth: ClientAuth;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  /** Sees the call (metrics). */
  readonly observe?: RequestObserver | undefined;
}

export interface IntrospectionResponseOptions {
  readonly issuer: string;
  /** The configured audience (project ids and/or client ids). */
  readonly audience: readonly string[];
  /**
   * The introspecting client's own id (the API application's client id). An `aud` naming
   * it is for this API too, whatever `audience` says (see {@link processIntrospectionResponse}).
   */
  readonly clientId?: string | undefined;
  readonly now: () => number;
}

/** Step one: send `token` to the endpoint with client authentication. */
export async function introspectionRequest(token: string, options: IntrospectionRequestOptions): Promise<JsonResponse> {
  const request = {
    headers: { 'content-type': 'application/x-www-form-urlencoded' } as Record<string, string>,
    form: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  };
  await options.auth(request);
  return requestJson({
    url: options.endpoint,
    method: 'POST',
    headers: request.headers,
    body: request.form.toString(),
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxBytes: 256 * 1024,
    observe: options.observe,
  });
}

/**
 * Step two: judge the answer strictly. Only the boolean `active: true` is active; a
 * non-boolean `active` or a body that is not a JSON object is garbage (UpstreamError →
 * 503). `iss` and `aud` are optional but, when present, must match (else 401). An `exp`
 * in the past makes the token inactive.
 *
 * Audience: an `aud` that names a configured `audience` value **or the introspecting
 * client's own id** is for this API. This is ZITADEL's own rule: it answers active only
 * when the token's audience holds the introspecting client id or its project id
 * (`internal/api/oidc/introspect.go` `validateIntrospectionAudience`), and a PAT, which
 * has no stored audience, gets the introspecting client id appended before that check
 * (`internal/api/oidc/access_token.go` `assertClientScopesForPAT`; older releases append
 * only the client id, newer ones the client id and the project id). So a PAT introspected
 * by an API configured with `audience: projectId` answers `aud: ["<api-client-id>"]` and
 * is accepted. JWTs are verified locally and keep the strict `audience` check.
 *
 * `exp`, `iat`, `nbf`: a non-number, or a number a `Date` cannot hold (`1e300`, or the
 * `Infinity` that `1e400` parses to), is garbage from the issuer: 503, not cached, like
 * any answer that cannot be trusted (the issuer vouches for these times; a time it cannot
 * express is not a statement about the caller's token).
 *
 * `{"active": false}` is cached as inactive. Note that ZITADEL also answers it for its
 * own internal errors (only client-authentication failures are errors:
 * `introspect.go` returns every other error as an inactive answer), so a brief outage
 * inside ZITADEL looks like "inactive" (401); the short inactive TTL bounds how long.
 */
export function processIntrospectionResponse(
  response: JsonResponse,
  options: IntrospectionResponseOptions,
): IntrospectionResult {
  const body = response.body;
  if (response.status === 400 || response.status === 401) {
    const error = isObject(body) && typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    if (response.status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
      throw new IntrospectionClientError(`the introspection endpoint refused this API's client credentials (${error})`, response.status, undefined, 'ERR_UPSTREAM_CLIENT_REFUSED');
    }
  }
  if (response.status !== 200) {
    throw new UpstreamError(`introspection answered HTTP ${response.status}`, response.status);
  }
  if (!isObject(body)) throw new UpstreamError('introspection answered something other than a JSON object');
  if (typeof body.active !== 'boolean') throw new UpstreamError('introspection answered without a boolean "active"');
  if (!body.active) return INACTIVE;

  if (body.iss !== undefined && body.iss !== options.issuer) {
    throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token was issued by another issuer');
  }
  if (body.aud !== undefined) {
    const audiences = typeof body.aud === 'string' ? [body.aud] : Array.isArray(body.aud) ? body.aud : [];
    const forUs = (aud: unknown) => typeof aud === 'string' && (options.audience.includes(aud) || (options.clientId !== undefined && aud === options.clientId));
    if (!audiences.some(forUs)) {
      throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token is meant for another audience');
    }
  }
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    const value = body[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw new UpstreamError(`introspection answered a non-numeric "${claim}"`);
    if (!isRepresentableNumericDate(value)) throw new UpstreamError(`introspection answered an out-of-range "${claim}"`);
  }
  if (typeof body.exp === 'number' && body.exp * 1000 <= options.now()) return INACTIVE;
  return { active: true, claims: body };
}

const INACTIVE: IntrospectionResult = Object.freeze({ active: false });

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
