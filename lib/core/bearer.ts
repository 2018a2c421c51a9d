import { InvalidRequestError, MissingTokenError } from './errors.js';

/** Where a bearer token may be carried (RFC 6750 §2; RFC 9728 `bearer_methods_supported`). */
export type BearerMethod = 'header' | 'query' | 'body';

/**
 * The parts of an HTTP request the resolver reads. Node's `IncomingMessage`, Express'
 * `Request` and Fastify's `request.raw` all fit.
 */
export interface BearerRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Node ≥ 18.3: every value of every header, so two Authorization headers are seen. */
  readonly headersDistinct?: Readonly<Record<string, string[] | undefined>>;
  /** Raw header name/value pairs, used when `headersDistinct` is absent. */
  readonly rawHeaders?: readonly string[];
  /** Request target, for the `access_token` query parameter. */
  readonly url?: string | undefined;
  /**
   * The request target as the client sent it, when the framework rewrites `url` (Express
   * strips the mount path of a router): what DPoP's `htu` and the audit path are compared with.
   */
  readonly originalUrl?: string | undefined;
  /** Parsed body, for the form-encoded `access_token` body parameter. */
  readonly body?: unknown;
  /**
   * Authorization-style values (`Bearer <token>`) from carriers other than HTTP headers —
   * a message payload, socket.io's handshake `auth` — for transports that have them. They
   * count as one more carrier each: a token in two places is an invalid request.
   */
  readonly otherCarriers?: readonly string[];
  /** HTTP method (DPoP proofs are bound to it). */
  readonly method?: string | undefined;
  /** `http` or `https` as the client addressed this server (DPoP `htu`); the framework's trust-proxy view. */
  readonly protocol?: string | undefined;
}

/** Longest token accepted; longer ones are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16_384;

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token of a request and the scheme it came with. */
export interface Credentials {
  readonly token: string;
  /** `bearer` (RFC 6750: header, query or body) or `dpop` (RFC 9449: `Authorization: DPoP …`). */
  readonly scheme: 'bearer' | 'dpop';
}

/**
 * Finds the one access token of a request: like {@link resolveBearerToken}, and with
 * `acceptDpop` also `Authorization: DPoP <token>` (RFC 9449 §7.1). With `validate: false`
 * only the length is checked, for a lookup of verdicts cached for tokens that passed the
 * syntax check before: call {@link validToken} before using the token for anything else.
 */
export function resolveCredentials(request: BearerRequest, methods: readonly BearerMethod[], acceptDpop: boolean, validate = true): Credentials {
  let scheme: Credentials['scheme'] = 'bearer';
  const token = resolveWith(request, methods, (value) => {
    const end = schemeEnd(value);
    if (isScheme(value, end, 'bearer')) return tokenAfter(value, end);
    if (acceptDpop && isScheme(value, end, 'dpop')) {
      scheme = 'dpop';
      return tokenAfter(value, end);
    }
    return undefined;
  });
  if (validate) validToken(token);
  else if (token.length > MAX_TOKEN_LENGTH) throw new InvalidRequestError('The token is too long');
  return { token, scheme };
}

/**
 * Finds the one bearer token of a request, strictly per RFC 6750.
 *
 * - No credentials (or another scheme, such as `Basic`) → {@link MissingTokenError} (401,
 *   bare challenge).
 * - Malformed `Bearer` credentials, two Authorization headers, a token in a carrier that
 *   is not enabled, or in two carriers at once → {@link InvalidRequestError} (400).
 *
 * @example
 * const token = resolveBearerToken(req, ['header']);
 */
export function resolveBearerToken(request: BearerRequest, methods: readonly BearerMethod[]): string {
  return validToken(resolveWith(request, methods, parseAuthorizationHeader));
}

function resolveWith(request: BearerRequest, methods: readonly BearerMethod[], parse: (value: string) => string | undefined): string {
  // No arrays: this runs on every request.
  let token = fromHeader(request, parse);
  let carriers = token === undefined ? 0 : 1;

  const queryToken = fromQuery(request.url);
  if (queryToken !== undefined) {
    if (!methods.includes('query')) throw new InvalidRequestError('Tokens in the query string are not accepted');
    token ??= queryToken;
    carriers += 1;
  }

  const bodyToken = fromBody(request);
  if (bodyToken !== undefined) {
    if (!methods.includes('body')) throw new InvalidRequestError('Tokens in the request body are not accepted');
    token ??= bodyToken;
    carriers += 1;
  }

  const others = request.otherCarriers;
  if (others !== undefined) {
    for (const value of others) {
      const other = parse(value);
      if (other === undefined) continue;
      token ??= other;
      carriers += 1;
    }
  }

  if (carriers > 1) throw new InvalidRequestError('The token must be sent in exactly one place');
  if (token === undefined) throw new MissingTokenError();
  return token;
}

/**
 * Parses one Authorization header value. Returns the token of `Bearer` credentials,
 * `undefined` for another scheme, and throws for malformed `Bearer` credentials.
 */
export function parseAuthorizationHeader(value: string): string | undefined {
  const end = schemeEnd(value);
  return isScheme(value, end, 'bearer') ? tokenAfter(value, end) : undefined;
}

/** Index of the first space or tab (the end of the auth-scheme), or the length. */
function schemeEnd(value: string): number {
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c === 0x20 || c === 0x09) return i;
  }
  return value.length;
}

/** Case-insensitive comparison of `value[0, end)` with a lower-case scheme name, without allocating. */
function isScheme(value: string, end: number, scheme: string): boolean {
  if (end !== scheme.length) return false;
  for (let i = 0; i < end; i += 1) {
    if ((value.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  }
  return true;
}

/** The token after the scheme: `1*SP token` (RFC 6750 §2.1). */
function tokenAfter(value: string, end: number): string {
  if (end === value.length) throw new InvalidRequestError('The Bearer credentials carry no token');
  let start = end;
  while (start < value.length && value.charCodeAt(start) === 0x20) start += 1;
  if (start === end) throw new InvalidRequestError('Malformed Bearer credentials');
  if (start === value.length) throw new InvalidRequestError('The Bearer credentials carry no token');
  return value.slice(start);
}

function fromHeader(request: BearerRequest, parse: (value: string) => string | undefined): string | undefined {
  const value = authorizationValue(request);
  if (value === undefined || value === '') return undefined;
  return parse(value);
}

/** The one Authorization header value; two or more are an invalid request. */
function authorizationValue(request: BearerRequest): string | undefined {
  // rawHeaders first: Node builds headersDistinct (a copy of every header) on first access.
  const raw = request.rawHeaders;
  if (raw) {
    let value: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 13 && isScheme(name, 13, 'authorization')) {
        if (value !== undefined) throw TWO_HEADERS();
        value = raw[i + 1]!;
      }
    }
    if (value !== undefined || request.headers.authorization === undefined) return value;
  }
  const values = request.headersDistinct?.authorization ?? request.headers.authorization;
  if (values === undefined) return undefined;
  if (!Array.isArray(values)) return values as string;
  if (values.length > 1) throw TWO_HEADERS();
  return values[0];
}

const TWO_HEADERS = (): InvalidRequestError => new InvalidRequestError('Only one Authorization header is allowed');

function fromQuery(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const start = url.indexOf('?');
  if (start === -1 || !url.includes('access_token', start)) return undefined;
  const values = new URLSearchParams(url.slice(start + 1)).getAll('access_token');
  if (values.length > 1) throw new InvalidRequestError('The token must be sent in exactly one place');
  return values[0];
}

function fromBody(request: BearerRequest): string | undefined {
  const body = request.body;
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, 'access_token')) return undefined;
  const contentType = request.headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }
  const value = (body as Record<string, unknown>).access_token;
  if (typeof value !== 'string') throw new InvalidRequestError('The token must be sent in exactly one place');
  return value;
}

/** The RFC 6750 b64token syntax and a length cap. */
export function validToken(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidRequestError('The token is too long');
  if (!B64TOKEN.test(token)) throw new InvalidRequestError('Malformed Bearer credentials');
  return token;
}
