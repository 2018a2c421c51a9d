/**
 * The test issuer's RFC 7662 introspection endpoint: client authentication
 * (`client_secret_basic` or `private_key_jwt`, like ZITADEL's API applications), then an
 * answer for opaque tokens from the registry and for JWTs the issuer signed itself.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { ReceivedRequest, Reply } from './http-server.js';
import { jsonReply } from './http-server.js';
import type { KeyRing } from './key-ring.js';
import { ISSUER_KEY_ALGORITHMS } from './key-ring.js';
import type { TestIssuerClientKey, TestIssuerClientSecret } from './options.js';
import type { TokenRegistry } from './token-registry.js';

/** `client_assertion_type` of a `private_key_jwt` client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the endpoint needs from the issuer. */
export interface IntrospectionContext {
  readonly issuer: string;
  readonly client: TestIssuerClientSecret;
  readonly clientKey: TestIssuerClientKey | undefined;
  readonly registry: TokenRegistry;
  readonly keys: KeyRing;
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

/** RFC 7662 answer for `token`; `{ active: false }` for anything unknown, revoked or expired. */
export async function introspectToken(token: string, context: IntrospectionContext): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  const { registry } = context;
  const opaque = registry.getOpaque(token);
  if (opaque !== undefined) {
    if (!opaque.active || registry.isRevoked(token) || isExpired(opaque.claims['exp'], context.now() / 1000)) {
      return inactive;
    }
    return { active: true, token_type: 'Bearer', ...opaque.claims };
  }
  if (token.split('.').length !== 3) return inactive;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(context.keys.jwks()), {
      issuer: context.issuer,
      algorithms: [...ISSUER_KEY_ALGORITHMS],
      requiredClaims: ['exp'],
      currentDate: new Date(context.now()),
    }));
  } catch {
    return inactive;
  }
  if (registry.isRevoked(token, payload.jti)) return inactive;
  const scope = registry.introspectionScope(token);
  return { active: true, token_type: 'Bearer', ...payload, ...(scope === undefined ? {} : { scope }) };
}

function clientError(status: number, error: string, description: string, basic = false): Reply {
  const headers: Record<string, string> = { ...NO_STORE };
  if (basic) headers['www-authenticate'] = 'Basic realm="test-issuer"';
  return jsonReply(status, { error, error_description: description }, headers);
}

/**
 * Handles `POST /oauth/v2/introspect`: 401 `invalid_client` for bad or missing client
 * authentication, 400 `invalid_request` for a malformed request, else 200 with the answer.
 */
export async function handleIntrospection(request: ReceivedRequest, context: IntrospectionContext): Promise<Reply> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded') {
    return clientError(400, 'invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(request.body);
  const authorization = request.headers.authorization;
  const usesAssertion = form.has('client_assertion') || form.has('client_assertion_type');
  if (authorization !== undefined && usesAssertion) {
    return clientError(400, 'invalid_request', 'more than one client authentication method');
  }
  if (authorization !== undefined) {
    const credentials = parseBasicCredentials(authorization);
    if (credentials === undefined
      || credentials.clientId !== context.client.clientId
      || credentials.clientSecret !== context.client.clientSecret) {
      return clientError(401, 'invalid_client', 'client authentication failed', true);
    }
  } else if (!usesAssertion || !(await verifyClientAssertion(form, context))) {
    return clientError(401, 'invalid_client', 'client authentication failed');
  }
  const token = form.get('token');
  if (!token) return clientError(400, 'invalid_request', 'token is required');
  return jsonReply(200, await introspectToken(token, context), NO_STORE);
}
