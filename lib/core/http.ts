import { UpstreamError } from './errors.js';

export { UpstreamError };

/** A `fetch`-compatible function; injectable so tests and proxies need no globals. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface JsonRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Largest response body read; a larger one is an error. */
  readonly maxBytes: number;
  readonly fetch: FetchLike;
  /** Called once per call, when the status is known or the call failed without one (metrics). */
  readonly observe?: RequestObserver | undefined;
}

/** Sees every upstream call: its URL, method, duration, and status or failure code. */
export type RequestObserver = (url: string, method: string, durationMs: number, status: number | undefined, errorCode: UpstreamError['code'] | undefined) => void;

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or `undefined` when the body was not JSON. */
  readonly body: unknown;
}

/**
 * One upstream call with a hard timeout (covering headers *and* body), no redirects,
 * and a capped body. Network errors and timeouts throw {@link UpstreamError}; any HTTP
 * status is returned for the caller to judge.
 */
export async function requestJson(request: JsonRequest): Promise<JsonResponse> {
  const observe = request.observe;
  if (observe === undefined) return send(request);
  const started = performance.now();
  try {
    const response = await send(request);
    observe(request.url, request.method ?? 'GET', performance.now() - started, response.status, undefined);
    return response;
  } catch (error) {
    const upstream = error instanceof UpstreamError ? error : undefined;
    observe(request.url, request.method ?? 'GET', performance.now() - started, upstream?.status, upstream?.code ?? 'ERR_UPSTREAM_UNREACHABLE');
    throw error;
  }
}

async function send(request: JsonRequest): Promise<JsonResponse> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  const init: RequestInit = {
    method: request.method ?? 'GET',
    headers: { accept: 'application/json', ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: 'manual',
    signal,
  };
  let response: Response;
  try {
    try {
      response = await request.fetch(request.url, init);
    } catch (first) {
      // A kept-alive connection the issuer closed (it restarted, or dropped idle
      // connections) fails at once with no answer: one more try, on a new connection,
      // within the same deadline. Every call made here (discovery, JWKS, introspection,
      // the token endpoint) may be repeated. A refused connection is not retried.
      if (signal.aborted || !STALE_CONNECTION.has(errorCode(first) ?? '')) throw first;
      response = await request.fetch(request.url, init);
    }
  } catch (cause) {
    throw new UpstreamError(signal.aborted ? 'timed out' : `request failed (${describe(cause)})`, undefined, undefined, signal.aborted ? 'ERR_UPSTREAM_TIMEOUT' : 'ERR_UPSTREAM_UNREACHABLE');
  }
  let text: string;
  try {
    text = await readCapped(response, request.maxBytes);
  } catch (cause) {
    throw new UpstreamError(signal.aborted ? 'timed out reading the response' : describe(cause), response.status, undefined, signal.aborted ? 'ERR_UPSTREAM_TIMEOUT' : 'ERR_UPSTREAM_RESPONSE');
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`response larger than ${maxBytes} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Network error codes in an operator's words. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not name the host",
};

/** Failures of a connection that was open before the request: the request never got an answer. */
const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** The network error code of a failed fetch (`fetch failed` carries it in `cause`). */
function errorCode(cause: unknown): string | undefined {
  if (cause === null || typeof cause !== 'object') return undefined;
  const inner = (cause as { cause?: { code?: unknown; errors?: readonly { code?: unknown }[] } }).cause;
  const code = typeof inner?.code === 'string' ? inner.code : inner?.errors?.find((e) => typeof e?.code === 'string')?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(cause: unknown): string {
  // Not `instanceof Error`: fetch's errors may come from another realm (vm contexts, Jest).
  if (cause !== null && typeof cause === 'object' && 'message' in cause) {
    const code = errorCode(cause);
    if (code !== undefined) return NETWORK_ERRORS[code] === undefined ? code : `${NETWORK_ERRORS[code]}, ${code}`;
    return String((cause as { message: unknown }).message);
  }
  return 'unknown error';
}
