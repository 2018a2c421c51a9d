import { InvalidTokenError } from '../errors.js';
import { requestJson, UpstreamError } from '../http.js';
import type { FetchLike, JsonResponse } from '../http.js';
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
}

export interface IntrospectionResponseOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
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
  });
}

/**
 * Step two: judge the answer strictly. Only the boolean `active: true` is active; a
 * non-boolean `active` or a body that is not a JSON object is garbage (UpstreamError →
 * 503). `iss` and `aud` are optional but, when present, must match (else 401). An `exp`
 * in the past makes the token inactive.
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
    if (!audiences.some((aud) => typeof aud === 'string' && options.audience.includes(aud))) {
      throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token is meant for another audience');
    }
  }
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    if (body[claim] !== undefined && (typeof body[claim] !== 'number' || !Number.isFinite(body[claim]))) {
      throw new UpstreamError(`introspection answered a non-numeric "${claim}"`);
    }
  }
  if (typeof body.exp === 'number' && body.exp * 1000 <= options.now()) return INACTIVE;
  return { active: true, claims: body };
}

const INACTIVE: IntrospectionResult = Object.freeze({ active: false });

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
