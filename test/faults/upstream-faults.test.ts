import { randomBytes } from 'node:crypto';
/**
 * Fault injection on every issuer call the resource server makes (discovery, JWKS,
 * introspection), over real HTTP through the Express adapter. The documented answer to
 * "the issuer cannot be used right now" is a 503 with Retry-After, in at most the timeout
 * (plus 1 s of slack here), never a 401, never a 500, never an allow, and no request
 * outlives the timeout. Redirects are not followed; bodies are capped.
 */
import { createTestIssuer } from '../../lib/testing/index.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { FullLogCapture, findLeaks, responseText } from '../security/support/leaks.js';
import { refusedUrl, startFaultServer } from './support/fault-server.js';
import type { Behaviour, FaultServer } from './support/fault-server.js';
import { rsaSigner } from './support/keys.js';
import { testKeys } from '../support/test-keys.js';

/** The resource server's upstream timeout here: the hung cases wait this long (real time is the subject). */
const TIMEOUT_MS = 300;
const SLACK_MS = 1000;
const AUDIENCE = 'api';
const CLIENT = { clientId: 'api-client', clientSecret: 'api-client-secret-0123' };
const signer = rsaSigner();

/** What the issuer answers when nothing is broken. */
function healthy(server: FaultServer): void {
  server.on('/.well-known/openid-configuration', {
    kind: 'json',
    body: { issuer: server.url, jwks_uri: `${server.url}/keys`, introspection_endpoint: `${server.url}/introspect` },
  });
  server.on('/keys', { kind: 'json', body: signer.jwks, headers: { 'cache-control': 'max-age=300' } });
  server.on('/introspect', { kind: 'json', body: activeAnswer(server.url) });
}

function activeAnswer(issuer: string): Record<string, unknown> {
  return { active: true, iss: issuer, aud: AUDIENCE, sub: 'alice', client_id: 'svc', exp: Math.floor(Date.now() / 1000) + 300 };
}

type Upstream = 'jwks' | 'discovery' | 'introspection';

interface FaultCase {
  readonly name: string;
  readonly upstream: Upstream;
  readonly behaviour: Behaviour | ((env: { server: FaultServer; canary: FaultServer }) => Behaviour);
  readonly status: 200 | 401 | 503;
  /** Answered well within the timeout (no waiting on the upstream). */
  readonly fast?: boolean;
  readonly knownBug?: string;
}

const PATH: Record<Upstream, string> = { jwks: '/keys', discovery: '/.well-known/openid-configuration', introspection: '/introspect' };

const CASES: readonly FaultCase[] = [
  // JWKS (explicit jwksUri)
  { name: 'JWKS connection reset', upstream: 'jwks', behaviour: { kind: 'reset' }, status: 503, fast: true },
  { name: 'JWKS hangs', upstream: 'jwks', behaviour: { kind: 'hang' }, status: 503 },
  { name: 'JWKS sends headers, then the body one byte per 100 ms', upstream: 'jwks', behaviour: { kind: 'trickle', everyMs: 100 }, status: 503 },
  { name: 'JWKS answers 500', upstream: 'jwks', behaviour: { kind: 'json', status: 500, body: { error: 'server_error' } }, status: 503, fast: true },
  { name: 'JWKS answers 404', upstream: 'jwks', behaviour: { kind: 'json', status: 404, body: {} }, status: 503, fast: true },
  { name: 'JWKS answers truncated JSON', upstream: 'jwks', behaviour: { kind: 'text', body: '{"keys":[{"kty":"RSA","kid":"fault-key-1","n":"', contentType: 'application/json' }, status: 503, fast: true },
  { name: 'JWKS answers an HTML error page', upstream: 'jwks', behaviour: { kind: 'text', body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, status: 503, fast: true },
  { name: 'JWKS answers a JSON array', upstream: 'jwks', behaviour: { kind: 'json', body: [signer.jwk] }, status: 503, fast: true },
  { name: 'JWKS answers {"keys": {}}', upstream: 'jwks', behaviour: { kind: 'json', body: { keys: {} } }, status: 503, fast: true },
  // Valid JSON padded to the size: only the cap makes these fail.
  { name: 'JWKS answers a valid JWKS of 500 KiB (under the 512 KiB cap)', upstream: 'jwks', behaviour: { kind: 'huge', json: signer.jwks, bytes: 500 * 1024, contentLength: false }, status: 200, fast: true },
  { name: 'JWKS answers a valid JWKS of 600 KiB with Content-Length (cap 512 KiB)', upstream: 'jwks', behaviour: { kind: 'huge', json: signer.jwks, bytes: 600 * 1024, contentLength: true }, status: 503, fast: true },
  { name: 'JWKS answers a valid JWKS of 20 MiB, chunked (cap 512 KiB)', upstream: 'jwks', behaviour: { kind: 'huge', json: signer.jwks, bytes: 20 * 1024 * 1024, contentLength: false }, status: 503, fast: true },
  // The content type is not checked: a JSON body is read as JSON whatever it is labelled.
  { name: 'JWKS labels a valid JWKS text/html (content type ignored)', upstream: 'jwks', behaviour: { kind: 'text', body: JSON.stringify(signer.jwks), contentType: 'text/html' }, status: 200, fast: true },
  // A well-formed JWKS that lacks the kid is an answer, not an outage.
  { name: 'JWKS is valid but empty ({"keys": []})', upstream: 'jwks', behaviour: { kind: 'json', body: { keys: [] } }, status: 401, fast: true },
  ...([302, 307] as const).map(
    (status): FaultCase => ({
      name: `JWKS answers ${status} to a server with the right keys (redirects are not followed)`,
      upstream: 'jwks',
      behaviour: ({ canary }) => ({ kind: 'redirect', status, location: `${canary.url}/keys` }),
      status: 503,
      fast: true,
    }),
  ),
  {
    name: 'JWKS holds a key under the right kid that cannot be imported (n is garbage)',
    upstream: 'jwks',
    behaviour: { kind: 'json', body: { keys: [{ ...signer.jwk, n: 'AAAA' }] } },
    status: 503,
    fast: true,
  },
  {
    name: 'JWKS holds a key under the right kid without n',
    upstream: 'jwks',
    behaviour: { kind: 'json', body: { keys: [{ kty: 'RSA', kid: signer.jwk.kid, e: 'AQAB' }] } },
    status: 503,
    fast: true,
  },

  // Discovery (no jwksUri: the JWKS URL comes from the discovery document)
  { name: 'discovery hangs', upstream: 'discovery', behaviour: { kind: 'hang' }, status: 503 },
  { name: 'discovery answers 500', upstream: 'discovery', behaviour: { kind: 'json', status: 500, body: {} }, status: 503, fast: true },
  { name: 'discovery names another issuer', upstream: 'discovery', behaviour: ({ server }) => ({ kind: 'json', body: { issuer: 'https://evil.example', jwks_uri: `${server.url}/keys` } }), status: 503, fast: true },
  { name: 'discovery names a plain-http, non-loopback jwks_uri', upstream: 'discovery', behaviour: ({ server }) => ({ kind: 'json', body: { issuer: server.url, jwks_uri: 'http://keys.example.com/keys' } }), status: 503, fast: true },
  { name: 'discovery answers 302 (not followed)', upstream: 'discovery', behaviour: ({ canary }) => ({ kind: 'redirect', status: 302, location: `${canary.url}/.well-known/openid-configuration` }), status: 503, fast: true },

  // Introspection (explicit endpoint, opaque token)
  { name: 'introspection connection reset', upstream: 'introspection', behaviour: { kind: 'reset' }, status: 503, fast: true },
  { name: 'introspection hangs', upstream: 'introspection', behaviour: { kind: 'hang' }, status: 503 },
  { name: 'introspection trickles its body', upstream: 'introspection', behaviour: { kind: 'trickle', everyMs: 100 }, status: 503 },
  { name: 'introspection answers 500', upstream: 'introspection', behaviour: { kind: 'json', status: 500, body: { error: 'server_error' } }, status: 503, fast: true },
  { name: 'introspection answers 400 invalid_request', upstream: 'introspection', behaviour: { kind: 'json', status: 400, body: { error: 'invalid_request' } }, status: 503, fast: true },
  { name: 'introspection answers 401 invalid_client', upstream: 'introspection', behaviour: { kind: 'json', status: 401, body: { error: 'invalid_client' } }, status: 503, fast: true },
  { name: 'introspection answers truncated JSON', upstream: 'introspection', behaviour: { kind: 'text', body: '{"active":true,"sub":"al', contentType: 'application/json' }, status: 503, fast: true },
  { name: 'introspection answers an HTML page', upstream: 'introspection', behaviour: { kind: 'text', body: '<html>login</html>', contentType: 'text/html' }, status: 503, fast: true },
  { name: 'introspection answers a JSON array', upstream: 'introspection', behaviour: { kind: 'json', body: [{ active: true }] }, status: 503, fast: true },
  { name: 'introspection answers a non-numeric exp', upstream: 'introspection', behaviour: { kind: 'json', body: { active: true, sub: 'alice', exp: 'soon' } }, status: 503, fast: true },
  { name: 'introspection answers an active answer of 250 KiB (under the 256 KiB cap)', upstream: 'introspection', behaviour: ({ server }) => ({ kind: 'huge', json: activeAnswer(server.url), bytes: 250 * 1024, contentLength: true }), status: 200, fast: true },
  { name: 'introspection answers an active answer of 300 KiB with Content-Length (cap 256 KiB)', upstream: 'introspection', behaviour: ({ server }) => ({ kind: 'huge', json: activeAnswer(server.url), bytes: 300 * 1024, contentLength: true }), status: 503, fast: true },
  { name: 'introspection answers an active answer of 20 MiB, chunked (cap 256 KiB)', upstream: 'introspection', behaviour: ({ server }) => ({ kind: 'huge', json: activeAnswer(server.url), bytes: 20 * 1024 * 1024, contentLength: false }), status: 503, fast: true },
  { name: 'introspection labels an active answer text/html (content type ignored)', upstream: 'introspection', behaviour: ({ server }) => ({ kind: 'text', body: JSON.stringify(activeAnswer(server.url)), contentType: 'text/html' }), status: 200, fast: true },
  { name: 'introspection answers 302 to an endpoint that says active (not followed)', upstream: 'introspection', behaviour: ({ canary }) => ({ kind: 'redirect', status: 302, location: `${canary.url}/introspect` }), status: 503, fast: true },
];

describe('issuer faults (Express, timeout 300 ms)', () => {
  let server: FaultServer;
  let canary: FaultServer;
  let app: RunningApp | undefined;
  let logs: FullLogCapture;
  const secrets: string[] = [CLIENT.clientSecret, signer.jwk.n as string];

  beforeEach(async () => {
    logs = new FullLogCapture();
    server = await startFaultServer();
    canary = await startFaultServer();
    healthy(server);
    healthy(canary);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await Promise.all([server.close(), canary.close()]);
    expect(findLeaks(logs.text(), secrets)).toEqual([]);
  });

  function options(upstream: Upstream): ResourceServerOptions {
    return {
      issuer: server.url,
      audience: AUDIENCE,
      timeout: TIMEOUT_MS,
      logger: logs,
      ...(upstream === 'discovery' ? {} : { jwksUri: `${server.url}/keys` }),
      introspection: { auth: { type: 'client_secret_basic', ...CLIENT }, ...(upstream === 'introspection' ? { endpoint: `${server.url}/introspect` } : {}) },
    };
  }

  function tokenFor(upstream: Upstream): string {
    const token = upstream === 'introspection' ? randomBytes(53).toString('base64url') : signer.mint(server.url, AUDIENCE);
    secrets.push(token);
    return token;
  }

  function expectAnswer(response: Sent, status: number): void {
    expect(response.status).toBe(status);
    expect(response.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    if (status === 503) {
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.body).toEqual({ statusCode: 503, error: 'temporarily_unavailable', error_description: expect.any(String) });
    }
    expect(findLeaks(responseText(response), secrets)).toEqual([]);
  }

  for (const fault of CASES) {
    const run = fault.knownBug && process.env.KNOWN_BUGS !== 'strict' ? it.failing : it;
    run(`${fault.name}: ${fault.status}${fault.knownBug ? ` [lib bug: ${fault.knownBug}]` : ''}`, async () => {
      const behaviour = typeof fault.behaviour === 'function' ? fault.behaviour({ server, canary }) : fault.behaviour;
      server.on(PATH[fault.upstream], behaviour);
      app = await startApp('express', options(fault.upstream));
      const response = await get(`${app.url}/me`, tokenFor(fault.upstream));
      expectAnswer(response, fault.status);
      if (fault.fast) expect(response.ms).toBeLessThan(TIMEOUT_MS);
      else if (fault.status === 503) expect(response.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      // A redirect's target is never fetched.
      expect(canary.hits).toEqual([]);
      if (fault.upstream !== 'introspection' && fault.status === 503) {
        // While failing, the JWKS/discovery is not asked again before the cooldown: the next
        // answer is immediate and the upstream sees no new request.
        const before = server.hits.length;
        const again = await get(`${app.url}/me`, tokenFor(fault.upstream));
        expectAnswer(again, 503);
        // Sooner than a wait for the upstream could end (the hit count says none was made);
        // half the timeout was too tight on a loaded 2-core machine (159 ms seen).
        expect(again.ms).toBeLessThan(TIMEOUT_MS);
        expect(server.hits.length).toBe(before);
      }
    });
  }

  it('refused connections: JWKS, discovery and introspection each answer 503 at once', async () => {
    const nowhere = await refusedUrl();
    app = await startApp('express', { issuer: nowhere, audience: AUDIENCE, timeout: TIMEOUT_MS, logger: logs });
    expectAnswer(await get(`${app.url}/me`, signer.mint(nowhere, AUDIENCE)), 503);
    await app.close();
    app = await startApp('express', {
      issuer: server.url,
      audience: AUDIENCE,
      timeout: TIMEOUT_MS,
      logger: logs,
      introspection: { auth: { type: 'client_secret_basic', ...CLIENT }, endpoint: `${nowhere}/introspect` },
    });
    const response = await get(`${app.url}/me`, tokenFor('introspection'));
    expectAnswer(response, 503);
    expect(response.ms).toBeLessThan(TIMEOUT_MS);
  });

  it('a token that is invalid on its face is a 401 while the JWKS hangs, without waiting for it', async () => {
    server.on('/keys', { kind: 'hang' });
    app = await startApp('express', options('jwks'));
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"admin"}').toString('base64url')}.`;
    const response = await get(`${app.url}/me`, none);
    expect(response.status).toBe(401);
    expect(response.ms).toBeLessThan(TIMEOUT_MS);
    expect(server.hits).toEqual([]);
  });

  it('50 concurrent requests while the JWKS hangs: one upstream call, every answer a 503 within the timeout', async () => {
    server.on('/keys', { kind: 'hang' });
    app = await startApp('express', options('jwks'));
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(`${app!.url}/me`, tokenFor('jwks'))));
    for (const answer of answers) expectAnswer(answer, 503);
    expect(server.hits.filter((path) => path === '/keys')).toHaveLength(1);
  });

  it('50 concurrent requests with distinct opaque tokens while introspection hangs: every answer a 503 within the timeout', async () => {
    server.on('/introspect', { kind: 'hang' });
    app = await startApp('express', options('introspection'));
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(`${app!.url}/me`, tokenFor('introspection'))));
    for (const answer of answers) expectAnswer(answer, 503);
  });

  it('logs a refusal of our own client credentials once, naming the fix, never the secret', async () => {
    server.on('/introspect', { kind: 'json', status: 401, body: { error: 'invalid_client' } });
    app = await startApp('express', options('introspection'));
    for (let i = 0; i < 5; i += 1) expectAnswer(await get(`${app.url}/me`, tokenFor('introspection')), 503);
    const lines = logs.lines.filter((line) => line.includes('misconfigured'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('introspection.auth');
  });
});

describe('issuer latency around the timeout (test issuer, timeout 300 ms)', () => {
  it.each([
    ['JWKS', 150, 200],
    ['JWKS', 600, 503],
    ['introspection', 150, 200],
    ['introspection', 600, 503],
  ] as const)('%s answering after %i ms: %i', async (upstream, latency, status) => {
    const issuer = await createTestIssuer({ keys: await testKeys() });
    const app = await startApp('express', {
      issuer: issuer.issuer,
      audience: 'test-project',
      jwksUri: issuer.jwksUri,
      timeout: TIMEOUT_MS,
      logger: { warn: () => undefined, error: () => undefined },
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient }, endpoint: issuer.introspectionEndpoint },
    });
    try {
      issuer.setLatency(latency);
      const token = upstream === 'JWKS' ? await issuer.mintJwt() : issuer.mintOpaque();
      const response = await get(`${app.url}/me`, token);
      expect(response.status).toBe(status);
      expect(response.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      if (status === 503) {
        expect(response.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      } else {
        expect(response.ms).toBeGreaterThanOrEqual(latency - 50);
      }
    } finally {
      await app.close();
      await issuer.close();
    }
  });
});
