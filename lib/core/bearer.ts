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
  /** Parsed body, for the form-encoded `access_token` body parameter. */
  readonly body?: unknown;
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
 * `acceptDpop` also `Authorization: DPoP <token>` (RFC 9449 §7.1).
 */
export function resolveCredentials(request: BearerRequest, methods: readonly BearerMethod[], acceptDpop: boolean): Credentials {
  let scheme: Credentials['scheme'] = 'bearer';
  const token = resolveWith(request, methods, (value) => {
    const parsed = parseAuthorization(value, acceptDpop);
    if (parsed) scheme = parsed.scheme;
    return parsed?.token;
  });
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
  return resolveWith(request, methods, parseAuthorizationHeader);
}

function resolveWith(request: BearerRequest, methods: readonly BearerMethod[], parse: (value: string) => string | undefined): string {
  const found: string[] = [];

  const headerToken = fromHeader(request, parse);
  if (headerToken !== undefined) found.push(headerToken);

  const queryToken = fromQuery(request.url);
  if (queryToken !== undefined) {
    if (!methods.includes('query')) throw new InvalidRequestError('Tokens in the query string are not accepted');
    found.push(queryToken);
  }

  const bodyToken = fromBody(request);
  if (bodyToken !== undefined) {
    if (!methods.includes('body')) throw new InvalidRequestError('Tokens in the request body are not accepted');
    found.push(bodyToken);
  }

  if (found.length > 1) throw new InvalidRequestError('The token must be sent in exactly one place');
  const token = found[0];
  if (token === undefined) throw new MissingTokenError();
  return validToken(token);
}

/**
 * Parses one Authorization header value. Returns the token of `Bearer` credentials,
 * `undefined` for another scheme, and throws for malformed `Bearer` credentials.
 */
export function parseAuthorizationHeader(value: string): string | undefined {
  return parseAuthorization(value, false)?.token;
}

function parseAuthorization(value: string, acceptDpop: boolean): Credentials | undefined {
  const separator = value.search(/[ \t]/);
  const name = (separator === -1 ? value : value.slice(0, separator)).toLowerCase();
  const scheme = name === 'bearer' ? 'bearer' : name === 'dpop' && acceptDpop ? 'dpop' : undefined;
  if (scheme === undefined) return undefined;
  if (separator === -1) throw new InvalidRequestError('The Bearer credentials carry no token');
  const rest = value.slice(separator);
  const token = rest.replace(/^ +/, '');
  if (token.length === rest.length) throw new InvalidRequestError('Malformed Bearer credentials');
  if (token === '') throw new InvalidRequestError('The Bearer credentials carry no token');
  return { token, scheme };
}

function fromHeader(request: BearerRequest, parse: (value: string) => string | undefined): string | undefined {
  const values = authorizationValues(request);
  if (values.length > 1) throw new InvalidRequestError('Only one Authorization header is allowed');
  const value = values[0];
  if (value === undefined || value === '') return undefined;
  return parse(value);
}

function authorizationValues(request: BearerRequest): readonly string[] {
  // rawHeaders first: Node builds headersDistinct (a copy of every header) on first access.
  const raw = request.rawHeaders;
  if (raw) {
    let values: string[] | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 13 && name.toLowerCase() === 'authorization') (values ??= []).push(raw[i + 1]!);
    }
    if (values) return values;
    if (request.headers.authorization === undefined) return NONE;
  }
  const distinct = request.headersDistinct?.authorization;
  if (distinct) return distinct;
  const header = request.headers.authorization;
  if (header === undefined) return NONE;
  return Array.isArray(header) ? header : [header];
}

const NONE: readonly string[] = Object.freeze([]);

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

function validToken(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidRequestError('The token is too long');
  if (!B64TOKEN.test(token)) throw new InvalidRequestError('Malformed Bearer credentials');
  return token;
}
