/**
 * The test issuer's RFC 7662 introspection endpoint, answering as ZITADEL's does
 * (`internal/api/oidc/introspect.go`, zitadel/oidc `pkg/op/server_http.go`
 * `introspectionHandler` and `parseClientCredentials`): client authentication of the API
 * application (`client_secret_basic`, `client_secret_post` or `private_key_jwt`), then an
 * answer for tokens the issuer handed out, opaque tokens from the registry and JWTs it signed.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { Directory } from './directory.js';
import type { ReceivedRequest, Reply } from './http-server.js';
import { jsonReply } from './http-server.js';
import type { KeyRing } from './key-ring.js';
import { ISSUER_KEY_ALGORITHMS } from './key-ring.js';
import type { TestIssuerClientKey, TestIssuerClientSecret } from './options.js';
import type { TokenRegistry } from './token-registry.js';
import { introspectionAnswer } from './zitadel-claims.js';
import type { IssuedTokenRecord, PatAudience } from './zitadel-claims.js';

/** `client_assertion_type` of a `private_key_jwt` client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the endpoint needs from the issuer. */
export interface IntrospectionContext {
  readonly issuer: string;
  readonly client: TestIssuerClientSecret;
  readonly clientKey: TestIssuerClientKey | undefined;
  /** Project of the introspection client (the API application). */
  readonly projectId: string;
  readonly directory: Directory;
  readonly registry: TokenRegistry;
  readonly keys: KeyRing;
  readonly patAudience: PatAudience;
  readonly clientAuthErrors: 'zitadel' | 'rfc6749';
  readonly audienceCheck: boolean;
  /** Current time in milliseconds. */
  readonly now: () => number;
}

const NO_STORE = Object.freeze({ 'cache-control': 'no-store', pragma: 'no-cache' });

/** Form-urlencoding decode (RFC 6749 §2.3.1: `+` is a space); `undefined` if malformed. */
export function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Reads `Authorization: Basic base64(urlencode(id):urlencode(secret))`; `undefined` when the
 * header is not a well-formed Basic credential.
 */
export function parseBasicCredentials(header: string): { clientId: string; clientSecret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) return undefined;
  return { clientId, clientSecret };
}

async function verifyClientAssertion(form: URLSearchParams, context: IntrospectionContext): Promise<boolean> {
  const key = context.clientKey;
  const assertion = form.get('client_assertion');
  if (key === undefined || form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE || !assertion) return false;
  const formClientId = form.get('client_id');
  if (formClientId !== null && formClientId !== key.clientId) return false;
  try {
    const { protectedHeader } = await jwtVerify(assertion, key.publicKey, {
      issuer: key.clientId,
      subject: key.clientId,
      audience: context.issuer,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat'],
      currentDate: new Date(context.now()),
    });
    return protectedHeader.kid === key.keyId;
  } catch {
    return false;
  }
}

function isExpired(exp: unknown, nowSeconds: number): boolean {
  return typeof exp === 'number' && exp <= nowSeconds;
}

const INACTIVE = Object.freeze({ active: false });

/**
 * `validateIntrospectionAudience`: the audience must hold the introspecting client or its
 * project (`check` false skips it).
 */
function meantForClient(aud: unknown, context: IntrospectionContext, check: boolean = context.audienceCheck): boolean {
  if (!check) return true;
  const audience = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return audience.some((entry) => entry === context.client.clientId || entry === context.projectId);
}

function answerIssued(record: IssuedTokenRecord, context: IntrospectionContext): Record<string, unknown> {
  const user = context.directory.user(record.userId);
  if (user === undefined || record.exp <= context.now() / 1000) return INACTIVE;
  const client = { clientId: context.client.clientId, projectId: context.projectId };
  return introspectionAnswer(context.issuer, record, context.directory, user, client, {
    patAudience: context.patAudience,
    audienceCheck: context.audienceCheck,
  });
}

/** RFC 7662 answer for `token`; `{ active: false }` for anything unknown, revoked, expired or not meant for the client. */
export async function introspectToken(token: string, context: IntrospectionContext): Promise<Record<string, unknown>> {
  const { registry } = context;
  const issued = registry.issued(token);
  if (issued !== undefined) {
    if (registry.isRevoked(token, issued.tokenId)) return INACTIVE;
    return answerIssued(issued, context);
  }
  const opaque = registry.getOpaque(token);
  if (opaque !== undefined) {
    if (!opaque.active || registry.isRevoked(token) || isExpired(opaque.claims['exp'], context.now() / 1000)) {
      return INACTIVE;
    }
    if (!meantForClient(opaque.claims['aud'], context, opaque.audienceCheck ?? context.audienceCheck)) return INACTIVE;
    return { active: true, token_type: 'Bearer', ...opaque.claims };
  }
  if (token.split('.').length !== 3) return INACTIVE;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(context.keys.jwks()), {
      issuer: context.issuer,
      algorithms: [...ISSUER_KEY_ALGORITHMS],
      requiredClaims: ['exp'],
      currentDate: new Date(context.now()),
    }));
  } catch {
    return INACTIVE;
  }
  if (registry.isRevoked(token, payload.jti)) return INACTIVE;
  // ZITADEL looks a JWT up by its `jti` and answers from the stored token (`access_token.go` `verifyAccessToken`).
  const record = typeof payload.jti === 'string' ? registry.issuedByJti(payload.jti) : undefined;
  if (record !== undefined) return answerIssued(record, context);
  if (!meantForClient(payload.aud, context)) return INACTIVE;
  const scope = registry.introspectionScope(token);
  return { active: true, token_type: 'Bearer', ...payload, ...(scope === undefined ? {} : { scope }) };
}

function errorReply(status: number, error: string, description?: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, description === undefined ? { error } : { error, error_description: description }, { ...NO_STORE, ...headers });
}

interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly assertion: string;
  readonly assertionType: string;
  readonly basic: boolean;
}

/**
 * zitadel/oidc `pkg/op/server_http.go` `parseClientCredentials`: one authentication method,
 * Basic overriding the form; a Reply when the request is malformed.
 */
function parseClientCredentials(request: ReceivedRequest, form: URLSearchParams): ClientCredentials | Reply {
  let clientId = form.get('client_id') ?? '';
  let clientSecret = form.get('client_secret') ?? '';
  const assertion = form.get('client_assertion') ?? '';
  const assertionType = form.get('client_assertion_type') ?? '';
  const assertionAuth = assertion !== '' && assertionType !== '';
  const secretAuth = clientSecret !== '' && clientId !== '';
  const oneMethod = 'client authentication must not use more than one method';
  if (assertionAuth && secretAuth) return errorReply(400, 'invalid_request', oneMethod);
  const authorization = request.headers.authorization;
  let basic = false;
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      if (assertionAuth || secretAuth) return errorReply(400, 'invalid_request', oneMethod);
      const id = formDecode(decoded.slice(0, colon));
      const secret = formDecode(decoded.slice(colon + 1));
      if (id === undefined || secret === undefined) return errorReply(400, 'invalid_client', 'invalid basic auth header');
      clientId = id;
      clientSecret = secret;
      basic = true;
    }
  }
  if (clientId === '' && assertion === '') return errorReply(400, 'invalid_request', 'client_id or client_assertion must be provided');
  if (assertion !== '' && assertionType !== JWT_BEARER_ASSERTION_TYPE) {
    return errorReply(400, 'invalid_request', `invalid client_assertion_type ${assertionType}`);
  }
  return { clientId, clientSecret, assertion, assertionType, basic };
}

/** RFC 6749 §2.3 style (`clientAuthErrors: 'rfc6749'`): every credential problem is 401 `invalid_client`. */
async function authenticateRfc6749(request: ReceivedRequest, form: URLSearchParams, context: IntrospectionContext): Promise<Reply | undefined> {
  const authorization = request.headers.authorization;
  const usesAssertion = form.has('client_assertion') || form.has('client_assertion_type');
  if (authorization !== undefined && usesAssertion) {
    return errorReply(400, 'invalid_request', 'more than one client authentication method');
  }
  if (authorization !== undefined) {
    const credentials = parseBasicCredentials(authorization);
    if (credentials?.clientId === context.client.clientId && credentials.clientSecret === context.client.clientSecret) return undefined;
    return errorReply(401, 'invalid_client', 'client authentication failed', { 'www-authenticate': 'Basic realm="test-issuer"' });
  }
  if (usesAssertion && (await verifyClientAssertion(form, context))) return undefined;
  return errorReply(401, 'invalid_client', 'client authentication failed');
}

/** ZITADEL's client authentication at introspection; `undefined` when the client is authenticated. */
async function authenticateZitadel(request: ReceivedRequest, form: URLSearchParams, context: IntrospectionContext): Promise<Reply | undefined> {
  const parsed = parseClientCredentials(request, form);
  if ('status' in parsed) return parsed;
  if (parsed.clientSecret === '' && parsed.assertion === '') return errorReply(400, 'invalid_client', 'client must be authenticated');
  if (!form.get('token')) return errorReply(400, 'invalid_request', 'token missing');
  const authenticated = parsed.assertion !== ''
    ? await verifyClientAssertion(form, context)
    : parsed.clientId === context.client.clientId && parsed.clientSecret === context.client.clientSecret;
  return authenticated ? undefined : errorReply(400, 'unauthorized_client');
}

/**
 * Handles `POST /oauth/v2/introspect` the ZITADEL way: a malformed request or missing
 * credentials are 400 `invalid_request` / `invalid_client`; credentials ZITADEL does not
 * accept (unknown client, wrong secret, bad assertion) are 400 `unauthorized_client` without
 * a description (`introspect.go` `introspectionClientAuth` returns
 * `oidc.ErrUnauthorizedClient()`, which zitadel/oidc `pkg/op/error.go` `WriteError` sends
 * with status 400). With `clientAuthErrors: 'rfc6749'` credential problems are 401
 * `invalid_client` instead. Any token problem is `{"active": false}`.
 */
export async function handleIntrospection(request: ReceivedRequest, context: IntrospectionContext): Promise<Reply> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    return errorReply(400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(request.body);
  const refusal = context.clientAuthErrors === 'rfc6749'
    ? await authenticateRfc6749(request, form, context)
    : await authenticateZitadel(request, form, context);
  if (refusal !== undefined) return refusal;
  const token = form.get('token');
  if (!token) return errorReply(400, 'invalid_request', 'token missing');
  return jsonReply(200, await introspectToken(token, context), NO_STORE);
}
