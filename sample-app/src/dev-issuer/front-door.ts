import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';

import { decodeJwt, jwtVerify } from 'jose';

import type { Directory } from './directory.js';
import { JWT_BEARER_GRANT } from './jwt-profile-grant.js';

export type Endpoint = 'token' | 'keys' | 'introspect' | 'revoke' | 'discovery';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const BODY_LIMIT = 56 * 1024;

export interface FrontDoorSetup {
  readonly issuer: string;
  readonly paths: Readonly<Record<Endpoint, string>>;
  readonly requests: Record<Endpoint, number>;
  readonly directory: Directory;
  /** The protected API's credentials: `private_key_jwt` assertions are checked against `publicKey`. */
  readonly api: { readonly clientId: string; readonly clientSecret: string; readonly keyId: string; readonly publicKey: KeyObject };
  readonly clockToleranceSeconds: number;
  /** The `oidc-provider` request listener. */
  readonly forward: RequestListener;
}

type Decision =
  | { readonly kind: 'forward'; readonly form?: URLSearchParams; readonly headers?: IncomingHttpHeaders }
  | { readonly kind: 'reply'; readonly status: number; readonly body: Record<string, string> };

/**
 * The HTTP listener in front of `oidc-provider`. It counts requests per endpoint, hides the
 * RFC 8414 metadata route (ZITADEL has none), and adapts two ZITADEL behaviours that
 * `oidc-provider` cannot be configured for, by rewriting the form before the provider reads it:
 *
 * - JWT profile grant without any client authentication: adds `client_id` = the assertion's
 *   issuer, so the provider resolves that service user's internal client (method `none`); the
 *   grant handler then verifies the assertion.
 * - `private_key_jwt` at introspection/revocation without a `jti` in the assertion (ZITADEL
 *   requires none, `oidc-provider` insists on one): the API client's assertion is verified here
 *   (RS/PS alg, `kid` = key id, `iss` = `sub` = client id, `aud` = issuer, `exp`, `iat` within an
 *   hour) and replaced with the API client's `client_secret_basic` credentials; a bad assertion
 *   gets ZITADEL's `400 unauthorized_client` here (`401 invalid_client` at revocation). Other
 *   clients' assertions go through untouched.
 */
export function frontDoor(setup: FrontDoorSetup): RequestListener {
  const byPath = new Map<string, Endpoint>(
    (Object.entries(setup.paths) as [Endpoint, string][]).map(([endpoint, path]) => [path, endpoint]),
  );

  return function devIssuerFrontDoor(req, res) {
    const path = new URL(req.url ?? '/', setup.issuer).pathname;
    const endpoint = byPath.get(path);
    if (endpoint) {
      setup.requests[endpoint] += 1;
    }
    if (path === '/.well-known/oauth-authorization-server') {
      reply(res, 404, { error: 'not_found' });
      return;
    }
    const rewritable = endpoint === 'token' || endpoint === 'introspect' || endpoint === 'revoke';
    if (req.method !== 'POST' || !rewritable || !isForm(req)) {
      setup.forward(req, res);
      return;
    }
    handleForm(setup, endpoint, req, res).catch(() => {
      if (!res.headersSent) {
        reply(res, 500, { error: 'server_error', error_description: 'dev issuer front door failed' });
      } else {
        res.destroy();
      }
    });
  };
}

async function handleForm(
  setup: FrontDoorSetup,
  endpoint: 'token' | 'introspect' | 'revoke',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) {
    reply(res, 413, { error: 'invalid_request', error_description: 'request body too large' });
    return;
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const decision = endpoint === 'token' ? await decideToken(setup, req, form) : await decideClientAssertion(setup, endpoint, req, form);
  if (decision.kind === 'reply') {
    reply(res, decision.status, decision.body);
    return;
  }
  const replayBody = decision.form ? Buffer.from(decision.form.toString(), 'utf8') : body;
  setup.forward(replay(req, replayBody, decision.headers ?? req.headers), res);
}

async function decideToken(setup: FrontDoorSetup, req: IncomingMessage, form: URLSearchParams): Promise<Decision> {
  const presentsClient =
    req.headers.authorization !== undefined ||
    form.has('client_id') ||
    form.has('client_assertion') ||
    form.has('client_secret');
  if (form.get('grant_type') !== JWT_BEARER_GRANT || presentsClient || form.getAll('assertion').length !== 1) {
    return { kind: 'forward' };
  }
  const user = setup.directory.user(unverifiedIssuer(form.get('assertion')) ?? '');
  if (!user || user.grant !== 'jwtProfile') {
    return { kind: 'reply', status: 400, body: { error: 'invalid_grant', error_description: 'assertion is invalid' } };
  }
  const rewritten = new URLSearchParams(form);
  rewritten.set('client_id', user.clientId);
  return { kind: 'forward', form: rewritten };
}

async function decideClientAssertion(
  setup: FrontDoorSetup,
  endpoint: 'introspect' | 'revoke',
  req: IncomingMessage,
  form: URLSearchParams,
): Promise<Decision> {
  const assertions = form.getAll('client_assertion');
  if (assertions.length !== 1 || req.headers.authorization !== undefined || form.has('client_secret')) {
    return { kind: 'forward' };
  }
  const [assertion] = assertions;
  const clientId = setup.api.clientId;
  const claimedClient = unverifiedIssuer(assertion);
  if (claimedClient !== clientId) {
    return { kind: 'forward' };
  }
  const clientIds = form.getAll('client_id');
  const valid =
    form.getAll('client_assertion_type').join(' ') === ASSERTION_TYPE &&
    clientIds.every((id) => id === clientId) &&
    (await verifyAssertion(setup, endpoint, assertion ?? ''));
  if (!valid) {
    // ZITADEL: 400 unauthorized_client at introspection (introspect.go introspectionClientAuth).
    return endpoint === 'introspect'
      ? { kind: 'reply', status: 400, body: { error: 'unauthorized_client' } }
      : { kind: 'reply', status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } };
  }
  const rewritten = new URLSearchParams(form);
  rewritten.delete('client_assertion');
  rewritten.delete('client_assertion_type');
  rewritten.delete('client_id');
  const basic = `${encodeURIComponent(clientId)}:${encodeURIComponent(setup.api.clientSecret)}`;
  return {
    kind: 'forward',
    form: rewritten,
    headers: { ...req.headers, authorization: `Basic ${Buffer.from(basic).toString('base64')}` },
  };
}

async function verifyAssertion(setup: FrontDoorSetup, endpoint: 'introspect' | 'revoke', assertion: string): Promise<boolean> {
  const { issuer, api } = setup;
  try {
    const { protectedHeader } = await jwtVerify(assertion, api.publicKey, {
      algorithms: ASSERTION_ALGORITHMS,
      issuer: api.clientId,
      subject: api.clientId,
      audience: [issuer, `${issuer}/`, `${issuer}${setup.paths.token}`, `${issuer}${setup.paths[endpoint]}`],
      requiredClaims: ['iat', 'exp'],
      maxTokenAge: '1h',
      clockTolerance: setup.clockToleranceSeconds,
    });
    return protectedHeader.kid === api.keyId;
  } catch {
    return false;
  }
}

function unverifiedIssuer(jwt: string | null | undefined): string | undefined {
  if (!jwt) {
    return undefined;
  }
  try {
    const { iss } = decodeJwt(jwt);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

function isForm(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > BODY_LIMIT) {
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A request object carrying `body` in place of the consumed original: Koa and `oidc-provider`
 * read the method, url, headers and socket, and stream the body with `req.iterator()`.
 */
function replay(original: IncomingMessage, body: Buffer, headers: IncomingHttpHeaders): IncomingMessage {
  const stream = Readable.from([body], { objectMode: false });
  const replayHeaders: IncomingHttpHeaders = { ...headers, 'content-length': String(body.length) };
  delete replayHeaders['transfer-encoding'];
  Object.assign(stream, {
    headers: replayHeaders,
    rawHeaders: Object.entries(replayHeaders).flatMap(([name, value]) => [name, String(value)]),
    method: original.method,
    url: original.url,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
    complete: true,
  });
  return stream as unknown as IncomingMessage;
}

function reply(res: ServerResponse, status: number, body: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}
