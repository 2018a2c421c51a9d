import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';

import { decodeProtectedHeader, jwtVerify } from 'jose';

import { createResourceServer } from '../../lib/index.js';
import type { ResourceServer } from '../../lib/index.js';
import { createTokenSource, projectAudienceScope, TokenSourceError } from '../../lib/client/index.js';
import type { FetchLike, TokenSourceOptions } from '../../lib/client/index.js';
import { startDevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import type { DevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import { LogCapture } from '../support/log-capture.js';
import { devIssuerKeys, testIssuerRsaKey } from '../support/test-keys.js';

const ISSUER = 'https://acme.zitadel.cloud';
const TOKEN_ENDPOINT = `${ISSUER}/oauth/v2/token`;
const SECRET = 'pa$$w0rd+with/slashes%and@at';

let idp: DevIssuer;
let rs: ResourceServer;

// In a describe, so that these hooks serve this file's tests only (see test/support/specs.ts).
describe('createTokenSource', () => {
  beforeAll(async () => {
    idp = await startDevIssuer({ keys: devIssuerKeys() });
    rs = createResourceServer({
      issuer: idp.issuer,
      audience: [idp.projectId],
      projectId: idp.projectId,
      introspection: { auth: { type: 'client_secret_basic', clientId: idp.api.clientId, clientSecret: idp.api.clientSecret } },
      logger: new LogCapture(),
    });
  });

  afterAll(async () => {
    await idp.close();
  });

  function scope(): string[] {
    return ['openid', projectAudienceScope(idp.projectId)];
  }

  function jwtProfileSource(overrides: Partial<TokenSourceOptions> = {}) {
    return createTokenSource({
      issuer: idp.issuer,
      scope: scope(),
      credentials: { type: 'jwt_profile', keyFile: idp.serviceUsers.jwtProfile.keyFile },
      ...overrides,
    });
  }

  function clientCredentialsSource(overrides: Partial<TokenSourceOptions> = {}) {
    const { clientId, clientSecret } = idp.serviceUsers.clientCredentials;
    return createTokenSource({
      issuer: idp.issuer,
      scope: scope(),
      credentials: { type: 'client_credentials', clientId, clientSecret },
      ...overrides,
    });
  }

  /** Expects `promise` to reject with a TokenSourceError of `code`, and returns it. */
  async function rejection(promise: Promise<unknown>, code: TokenSourceError['code']): Promise<TokenSourceError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as TokenSourceError).code).toBe(code);
    return error as TokenSourceError;
  }

  /** Nothing secret in the message, the stack or the inspected error (with its causes). */
  function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
    const text = `${String(error)}\n${(error as Error).stack ?? ''}\n${inspect(error, { depth: 5 })}`;
    for (const secret of secrets) expect(text).not.toContain(secret);
  }

  interface StubCall {
    readonly url: string;
    readonly init: RequestInit;
    readonly form: URLSearchParams;
  }

  /** A `fetch` that answers from a queue of responders and records every call. */
  function stubFetch(...responders: Array<(call: StubCall) => Response | Promise<Response>>) {
    const calls: StubCall[] = [];
    const fetch: FetchLike = async (url, init) => {
      const call = { url, init, form: new URLSearchParams(typeof init.body === 'string' ? init.body : '') };
      calls.push(call);
      const responder = responders[Math.min(calls.length - 1, responders.length - 1)];
      if (!responder) throw new Error('no responder');
      return responder(call);
    };
    return { fetch, calls };
  }

  function json(body: unknown, status = 200): Response {
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }

  function tokenResponse(accessToken: string, expiresIn?: number): Response {
    return json({ access_token: accessToken, token_type: 'Bearer', ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) });
  }

  function clientCredentialsStub(fetch: FetchLike, now: () => number, overrides: Partial<TokenSourceOptions> = {}) {
    return createTokenSource({
      issuer: ISSUER,
      tokenEndpoint: TOKEN_ENDPOINT,
      credentials: { type: 'client_credentials', clientId: 'reporter@acme', clientSecret: SECRET },
      fetch,
      now,
      logger: new LogCapture(),
      ...overrides,
    });
  }

  /** A plain HTTP server on 127.0.0.1 for outage shapes. */
  async function listen(listener: RequestListener): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
    const server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      server,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  async function closedPortUrl(): Promise<string> {
    const { url, close } = await listen((_req, res) => res.end());
    await close();
    return url;
  }

  describe('against the dev issuer', () => {
    it('JWT profile grant: the token is accepted by this package’s resource server (opaque, introspection)', async () => {
      const tokens = jwtProfileSource();
      const principal = await rs.authenticate(await tokens.authorizationHeader());
      expect(principal.subject).toBe(idp.serviceUsers.jwtProfile.userId);
      expect(principal.verifiedBy).toBe('introspection');
      expect(principal.tokenKind).toBe('opaque');
    });

    it('client credentials grant: the token is accepted by this package’s resource server', async () => {
      const tokens = clientCredentialsSource();
      const principal = await rs.authenticate(await tokens.authorizationHeader());
      expect(principal.subject).toBe(idp.serviceUsers.clientCredentials.userId);
      expect(principal.verifiedBy).toBe('introspection');
    });

    it.each(['jwt_profile', 'client_credentials'] as const)('%s: a JWT access token verifies locally against the JWKS', async (grant) => {
      const userId = grant === 'jwt_profile' ? idp.serviceUsers.jwtProfile.userId : idp.serviceUsers.clientCredentials.userId;
      idp.setAccessTokenType(userId, 'jwt');
      try {
        const tokens = grant === 'jwt_profile' ? jwtProfileSource() : clientCredentialsSource();
        const token = await tokens.getToken();
        expect(token.split('.')).toHaveLength(3);
        const principal = await rs.authenticate(`Bearer ${token}`);
        expect(principal.subject).toBe(userId);
        expect(principal.verifiedBy).toBe('jwks');
        expect(principal.audience).toContain(idp.projectId);
      } finally {
        idp.setAccessTokenType(userId, 'opaque');
      }
    });

    it('reads the token endpoint from discovery once', async () => {
      const before = { ...idp.requests };
      const tokens = clientCredentialsSource();
      await tokens.getToken();
      tokens.invalidate();
      await tokens.getToken();
      expect(idp.requests.discovery - before.discovery).toBe(1);
      expect(idp.requests.token - before.token).toBe(2);
    });

    it('caches the token: two getToken() calls cost one token request', async () => {
      const tokens = jwtProfileSource();
      const before = idp.requests.token;
      const first = await tokens.getToken();
      const second = await tokens.getToken();
      expect(second).toBe(first);
      expect(idp.requests.token - before).toBe(1);
    });

    it('refreshes refreshSkew before expiry (ZITADEL’s 12 h lifetime, 60 s skew)', async () => {
      let clock = Date.now();
      const tokens = clientCredentialsSource({ now: () => clock });
      const before = idp.requests.token;
      const start = clock;
      const first = await tokens.getToken();
      clock = start + 12 * 3600_000 - 60_000 - 1;
      expect(await tokens.getToken()).toBe(first);
      expect(idp.requests.token - before).toBe(1);
      clock = start + 12 * 3600_000 - 60_000;
      const second = await tokens.getToken();
      expect(second).not.toBe(first);
      expect(idp.requests.token - before).toBe(2);
      expect(await tokens.getToken()).toBe(second);
      expect(idp.requests.token - before).toBe(2);
    });

    it('single-flight: 50 concurrent getToken() calls share one token request', async () => {
      const tokens = jwtProfileSource();
      const before = idp.requests.token;
      const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
      expect(new Set(results).size).toBe(1);
      expect(idp.requests.token - before).toBe(1);
    });

    it('invalidate() drops the cached token; invalidate(token) only if it is still the cached one', async () => {
      const tokens = clientCredentialsSource();
      const before = idp.requests.token;
      const first = await tokens.getToken();
      tokens.invalidate();
      const second = await tokens.getToken();
      expect(second).not.toBe(first);
      expect(idp.requests.token - before).toBe(2);

      tokens.invalidate(first); // a late 401 for the old token: keeps the new one
      expect(await tokens.getToken()).toBe(second);
      expect(idp.requests.token - before).toBe(2);

      tokens.invalidate(second);
      const third = await tokens.getToken();
      expect(third).not.toBe(second);
      expect(idp.requests.token - before).toBe(3);
    });

    it('a wrong client secret: ERR_TOKEN_REJECTED with the OAuth error, no secret in the error', async () => {
      const wrong = `${idp.serviceUsers.clientCredentials.clientSecret}x`;
      const tokens = createTokenSource({
        issuer: idp.issuer,
        credentials: { type: 'client_credentials', clientId: idp.serviceUsers.clientCredentials.clientId, clientSecret: wrong },
      });
      const error = await rejection(tokens.getToken(), 'ERR_TOKEN_REJECTED');
      expect(error.oauthError).toBe('invalid_client');
      expect(error.status).toBe(401);
      expectNoSecrets(error, [wrong, Buffer.from(wrong).toString('base64')]);
    });

    it('a key the issuer does not know: ERR_TOKEN_REJECTED invalid_grant', async () => {
      const { keyFile } = idp.serviceUsers.jwtProfile;
      const other = testIssuerRsaKey().privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const tokens = jwtProfileSource({ credentials: { type: 'jwt_profile', keyFile: { ...keyFile, key: other } } });
      const error = await rejection(tokens.getToken(), 'ERR_TOKEN_REJECTED');
      expect(error.oauthError).toBe('invalid_grant');
      expect(error.message).toMatch(/key file/);
    });
  });

  describe('requests on the wire', () => {
    it('JWT profile: form and RS256 assertion (kid, iss = sub = userId, aud = issuer, 60 s, jti)', async () => {
      const { privateKey } = testIssuerRsaKey();
      const keyFile = {
        type: 'serviceaccount' as const,
        keyId: '320000000000000001',
        key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        userId: '310000000000000009',
      };
      const clock = 1_800_000_000_000;
      const stub = stubFetch(() => tokenResponse('opaque-token', 3600));
      const tokens = createTokenSource({
        issuer: ISSUER,
        tokenEndpoint: TOKEN_ENDPOINT,
        scope: 'openid  urn:zitadel:iam:org:project:id:123:aud openid',
        credentials: { type: 'jwt_profile', keyFile },
        fetch: stub.fetch,
        now: () => clock,
      });
      expect(await tokens.getToken()).toBe('opaque-token');
      const [call] = stub.calls;
      expect(call?.url).toBe(TOKEN_ENDPOINT);
      expect(call?.init.method).toBe('POST');
      expect(call?.init.redirect).toBe('manual');
      expect(new Headers(call?.init.headers).get('content-type')).toBe('application/x-www-form-urlencoded');
      expect(new Headers(call?.init.headers).has('authorization')).toBe(false);
      expect([...(call?.form.keys() ?? [])].sort()).toEqual(['assertion', 'grant_type', 'scope']);
      expect(call?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      expect(call?.form.get('scope')).toBe('openid urn:zitadel:iam:org:project:id:123:aud');
      const assertion = call?.form.get('assertion') ?? '';
      expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256', kid: keyFile.keyId });
      const { payload } = await jwtVerify(assertion, createPublicKey(privateKey), {
        issuer: keyFile.userId,
        subject: keyFile.userId,
        audience: ISSUER,
        currentDate: new Date(clock),
      });
      expect(payload.iat).toBe(clock / 1000);
      expect(payload.exp).toBe(clock / 1000 + 60);
      expect(typeof payload.jti).toBe('string');
    });

    it('client credentials: client_secret_basic with form-encoded id and secret, no secret in the form', async () => {
      const stub = stubFetch(() => tokenResponse('t1', 3600));
      await clientCredentialsStub(stub.fetch, Date.now, { scope: ['openid'] }).getToken();
      const [call] = stub.calls;
      expect(call?.form.toString()).toBe('grant_type=client_credentials&scope=openid');
      const expected = Buffer.from(`reporter%40acme:${encodeURIComponent(SECRET).replace(/%20/g, '+')}`).toString('base64');
      expect(new Headers(call?.init.headers).get('authorization')).toBe(`Basic ${expected}`);
    });

    it('sends no scope when none is configured; authorizationHeader() is "Bearer <token>"', async () => {
      const stub = stubFetch(() => json({ access_token: 'abc.def-ghi', token_type: 'bearer', expires_in: 60 }));
      const tokens = clientCredentialsStub(stub.fetch, Date.now);
      expect(await tokens.authorizationHeader()).toBe('Bearer abc.def-ghi');
      expect(stub.calls[0]?.form.has('scope')).toBe(false);
    });
  });

  describe('cache timing (frozen clock)', () => {
    it('skew is at most 10 % of the lifetime', async () => {
      let clock = 0;
      const stub = stubFetch(
        () => tokenResponse('a', 100),
        () => tokenResponse('b', 100),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => clock);
      expect(await tokens.getToken()).toBe('a');
      clock = 89_999;
      expect(await tokens.getToken()).toBe('a');
      clock = 90_000;
      expect(await tokens.getToken()).toBe('b');
      expect(stub.calls).toHaveLength(2);
    });

    it('without expires_in the token is kept 300 s (refreshed at 270 s)', async () => {
      let clock = 0;
      const stub = stubFetch(
        () => tokenResponse('a', undefined),
        () => tokenResponse('b', undefined),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => clock);
      expect(await tokens.getToken()).toBe('a');
      clock = 269_999;
      expect(await tokens.getToken()).toBe('a');
      clock = 270_000;
      expect(await tokens.getToken()).toBe('b');
    });

    it('refreshSkew option', async () => {
      let clock = 0;
      const stub = stubFetch(
        () => tokenResponse('a', 3600),
        () => tokenResponse('b', 3600),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => clock, { refreshSkew: 300_000 });
      await tokens.getToken();
      clock = 3_299_999;
      expect(await tokens.getToken()).toBe('a');
      clock = 3_300_000;
      expect(await tokens.getToken()).toBe('b');
    });

    it('a failed refresh while the token is still valid returns it, warns once, backs off 5 s; after expiry it throws', async () => {
      let clock = 0;
      const TOKEN_A = 'opaque-token-aaaaaaaaaaaaaaaa';
      const logger = new LogCapture();
      const stub = stubFetch(
        () => tokenResponse(TOKEN_A, 3600),
        () => json({ error: 'server_error' }, 500),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => clock, { logger });
      expect(await tokens.getToken()).toBe(TOKEN_A);
      clock = 3_550_000; // inside the refresh window (3,540,000 – 3,600,000)
      expect(await tokens.getToken()).toBe(TOKEN_A);
      expect(stub.calls).toHaveLength(2);
      expect(await tokens.getToken()).toBe(TOKEN_A); // backing off: no new attempt
      expect(stub.calls).toHaveLength(2);
      clock += 5000;
      expect(await tokens.getToken()).toBe(TOKEN_A);
      expect(stub.calls).toHaveLength(3);
      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]).toMatch(/^warn .*ERR_TOKEN_ENDPOINT.*HTTP 500.*expires in 50 s/);
      expectNoSecrets(logger.lines.join('\n'), [TOKEN_A, SECRET]);

      clock = 3_600_000;
      await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
      expect(stub.calls).toHaveLength(4);
    });

    it('an invalidated token is never the fallback of a failed refresh', async () => {
      const stub = stubFetch(
        () => tokenResponse('a', 3600),
        () => json({}, 503),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => 0);
      await tokens.getToken();
      tokens.invalidate('a');
      await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
    });

    it('the warning comes again after a success and a new failure', async () => {
      let clock = 0;
      const logger = new LogCapture();
      const stub = stubFetch(
        () => tokenResponse('a', 100),
        () => json({}, 502),
        () => tokenResponse('b', 100),
        () => json({}, 502),
      );
      const tokens = clientCredentialsStub(stub.fetch, () => clock, { logger });
      await tokens.getToken();
      clock = 91_000;
      expect(await tokens.getToken()).toBe('a');
      clock = 96_000;
      expect(await tokens.getToken()).toBe('b');
      clock = 96_000 + 91_000;
      expect(await tokens.getToken()).toBe('b');
      expect(logger.lines).toHaveLength(2);
    });
  });

  describe('single-flight', () => {
    it('concurrent callers share one failure, and the failure is not cached', async () => {
      let release: (response: Response) => void = () => undefined;
      const stub = stubFetch(
        () => new Promise<Response>((resolve) => (release = resolve)),
        () => tokenResponse('after', 3600),
      );
      const tokens = clientCredentialsStub(stub.fetch, Date.now);
      const waiting = Array.from({ length: 20 }, () => tokens.getToken().catch((e: unknown) => e));
      // Every caller is waiting on the one request: let it reach the stub before it fails.
      await new Promise((resolve) => setImmediate(resolve));
      release(json('oops', 500));
      const errors = await Promise.all(waiting);
      expect(new Set(errors).size).toBe(1);
      expect((errors[0] as TokenSourceError).code).toBe('ERR_TOKEN_ENDPOINT');
      expect(stub.calls).toHaveLength(1);
      expect(await tokens.getToken()).toBe('after');
      expect(stub.calls).toHaveLength(2);
    });
  });

  describe('failures are typed and leak nothing', () => {
    const secrets = [SECRET, Buffer.from(`reporter%40acme:${encodeURIComponent(SECRET)}`).toString('base64')];

    it('token endpoint down: ERR_TOKEN_ENDPOINT', async () => {
      const url = await closedPortUrl();
      const tokens = clientCredentialsStub((input, init) => fetch(input, init), Date.now, { tokenEndpoint: `${url}/oauth/v2/token` });
      const error = await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
      expect(error.message).toMatch(/could not be reached/);
      expectNoSecrets(error, secrets);
    });

    it('issuer down (discovery): ERR_DISCOVERY', async () => {
      const url = await closedPortUrl();
      const tokens = createTokenSource({ issuer: url, credentials: { type: 'client_credentials', clientId: 'reporter@acme', clientSecret: SECRET } });
      const error = await rejection(tokens.getToken(), 'ERR_DISCOVERY');
      expectNoSecrets(error, secrets);
    });

    it('a discovery document for another issuer, or without token_endpoint: ERR_DISCOVERY', async () => {
      const stub = stubFetch(
        () => json({ issuer: 'https://evil.example' }),
        () => json({ issuer: ISSUER }),
        () => json({ issuer: ISSUER, token_endpoint: 'http://evil.example/token' }),
        () => json({ issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT }),
        () => tokenResponse('t', 3600),
      );
      const tokens = clientCredentialsStub(stub.fetch, Date.now, { tokenEndpoint: undefined });
      expect((await rejection(tokens.getToken(), 'ERR_DISCOVERY')).message).toMatch(/"issuer"/);
      expect((await rejection(tokens.getToken(), 'ERR_DISCOVERY')).message).toMatch(/"tokenEndpoint"/);
      await rejection(tokens.getToken(), 'ERR_DISCOVERY');
      expect(await tokens.getToken()).toBe('t');
      expect(stub.calls.map((c) => c.url)).toEqual([
        `${ISSUER}/.well-known/openid-configuration`,
        `${ISSUER}/.well-known/openid-configuration`,
        `${ISSUER}/.well-known/openid-configuration`,
        `${ISSUER}/.well-known/openid-configuration`,
        TOKEN_ENDPOINT,
      ]);
    });

    it('HTTP 500 from a real server that echoes the request: ERR_TOKEN_ENDPOINT with the status', async () => {
      const server = await listen((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'server_error', error_description: `${req.headers.authorization} ${Buffer.concat(chunks).toString()}` }));
        });
      });
      try {
        const tokens = clientCredentialsStub((input, init) => fetch(input, init), Date.now, { tokenEndpoint: `${server.url}/token` });
        const error = await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
        expect(error.status).toBe(500);
        expectNoSecrets(error, secrets);
      } finally {
        await server.close();
      }
    });

    it('a slow token endpoint: ERR_TOKEN_ENDPOINT after `timeout`', async () => {
      const server = await listen(() => undefined); // never answers
      try {
        const tokens = clientCredentialsStub((input, init) => fetch(input, init), Date.now, { tokenEndpoint: `${server.url}/token`, timeout: 200 });
        const started = Date.now();
        const error = await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
        expect(error.message).toMatch(/timed out/);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        await server.close();
      }
    });

    it.each([
      ['not JSON', () => new Response('<html>hello</html>', { status: 200 })],
      ['a JSON array', () => json([])],
      ['no access_token', () => json({ token_type: 'Bearer', expires_in: 60 })],
      ['an empty access_token', () => json({ access_token: '', token_type: 'Bearer', expires_in: 60 })],
      ['an access_token that would break the header', () => json({ access_token: 'abc\r\nx-evil: 1', token_type: 'Bearer', expires_in: 60 })],
      ['a numeric access_token', () => json({ access_token: 42, token_type: 'Bearer', expires_in: 60 })],
      ['token_type DPoP', () => json({ access_token: 'abc', token_type: 'DPoP', expires_in: 60 })],
      ['no token_type', () => json({ access_token: 'abc', expires_in: 60 })],
      ['expires_in as a string', () => json({ access_token: 'abc', token_type: 'Bearer', expires_in: '60' })],
      ['expires_in 0', () => json({ access_token: 'abc', token_type: 'Bearer', expires_in: 0 })],
      ['expires_in negative', () => json({ access_token: 'abc', token_type: 'Bearer', expires_in: -5 })],
    ])('200 with %s: ERR_TOKEN_RESPONSE', async (_label, respond) => {
      const stub = stubFetch(respond);
      const error = await rejection(clientCredentialsStub(stub.fetch, Date.now).getToken(), 'ERR_TOKEN_RESPONSE');
      expect(error.message).not.toContain('abc');
    });

    it('a body larger than 64 KiB: ERR_TOKEN_ENDPOINT', async () => {
      const stub = stubFetch(() => json({ access_token: 'a'.repeat(70_000), token_type: 'Bearer', expires_in: 60 }));
      await rejection(clientCredentialsStub(stub.fetch, Date.now).getToken(), 'ERR_TOKEN_ENDPOINT');
    });

    it.each([
      [302, {}],
      [404, {}],
      [429, { error: 'slow_down' }],
      [503, { error: 'temporarily_unavailable' }],
      [400, { nothing: true }],
    ])('HTTP %i %j: ERR_TOKEN_ENDPOINT', async (status, body) => {
      const stub = stubFetch(() => json(body, status));
      const error = await rejection(clientCredentialsStub(stub.fetch, Date.now).getToken(), 'ERR_TOKEN_ENDPOINT');
      expect(error.status).toBe(status);
    });

    it('an OAuth error whose description repeats a secret: the description is dropped', async () => {
      const stub = stubFetch(() => json({ error: 'invalid_client', error_description: `bad secret ${SECRET}` }, 401));
      const error = await rejection(clientCredentialsStub(stub.fetch, Date.now).getToken(), 'ERR_TOKEN_REJECTED');
      expect(error.oauthError).toBe('invalid_client');
      expect(error.message).toBe('The token endpoint refused the request: HTTP 401 invalid_client: check the client id and secret, or that the service user exists');
      expectNoSecrets(error, secrets);
    });

    it('an OAuth error with a plain description keeps it', async () => {
      const stub = stubFetch(() => json({ error: 'invalid_scope', error_description: 'scope not allowed' }, 400));
      const error = await rejection(clientCredentialsStub(stub.fetch, Date.now).getToken(), 'ERR_TOKEN_REJECTED');
      expect(error.message).toBe('The token endpoint refused the request: HTTP 400 invalid_scope (scope not allowed): check the "scope" option');
    });

    it('a fetch that throws something odd: ERR_TOKEN_ENDPOINT', async () => {
      const tokens = clientCredentialsStub(() => Promise.reject(new Error('proxy exploded')), Date.now);
      await rejection(tokens.getToken(), 'ERR_TOKEN_ENDPOINT');
    });
  });
});
