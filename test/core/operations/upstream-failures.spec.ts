/**
 * Issue 17: every upstream failure gives operators one log line (per kind and endpoint per
 * minute) that names the endpoint, the cause and what callers get — never the token.
 * Injected fetch and clock; one real connection to a closed port on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError } from '../../../lib/core/errors.js';
import type { FetchLike } from '../../../lib/core/http.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { RevocationList } from '../../../lib/core/revocation.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer } from '../support/fake-issuer.js';
import type { FakeIssuer } from '../support/fake-issuer.js';
import { zitadelOpaqueToken } from '../support/zitadel-tokens.js';

const DISCOVERY_URL = `${ISSUER}/.well-known/openid-configuration`;
const JWKS_URL = `${ISSUER}/oauth/v2/keys`;
const INTROSPECTION_URL = `${ISSUER}/oauth/v2/introspect`;

interface Line {
  readonly level: 'warn' | 'error';
  readonly message: string;
}

async function setup(options: Partial<ResourceServerOptions> = {}, wrap?: (issuer: FakeIssuer) => FetchLike) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const lines: Line[] = [];
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    logger: { warn: (message) => lines.push({ level: 'warn', message }), error: (message) => lines.push({ level: 'error', message }) },
    fetch: wrap ? wrap(issuer) : issuer.fetch,
    now: time.now,
    jwtCacheMax: 0,
    ...options,
  });
  const tokens: string[] = [];
  const jwt = async () => {
    const token = await issuer.mintJwt();
    tokens.push(token);
    return token;
  };
  const opaque = () => {
    const token = zitadelOpaqueToken();
    tokens.push(token);
    return token;
  };
  /** The refusal of one request (the test fails if it is allowed). */
  const refusal = async (token: string): Promise<AuthError> => {
    try {
      await rs.authenticate(`Bearer ${token}`);
    } catch (error) {
      expect(error).toBeInstanceOf(AuthError);
      return error as AuthError;
    }
    throw new Error('expected a refusal');
  };
  const noToken = () => {
    for (const line of lines) for (const token of tokens) expect(line.message).not.toContain(token);
  };
  return { time, issuer, rs, lines, jwt, opaque, refusal, noToken };
}

/** A fetch error as Node's fetch throws it for a refused connection. */
function refused(): Promise<Response> {
  return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) }));
}

/** A fetch that never answers: it rejects when the request's timeout signal fires. */
const hanging: FetchLike = (_url, init) =>
  new Promise((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

describe('operator log lines for upstream failures', () => {
  it('discovery unreachable: one error line naming the URL, "connection refused" and the 503 callers get; throttled per minute', async () => {
    const { rs, lines, jwt, refusal, noToken, time } = await setup({}, (issuer) => (url, init) => (url === DISCOVERY_URL ? refused() : issuer.fetch(url, init)));
    const error = await refusal(await jwt());
    expect(error.code).toBe('ERR_ISSUER_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.message).toBe(
      `The discovery document of ${ISSUER} cannot be read (${DISCOVERY_URL}): cannot connect: request failed (connection refused, ECONNREFUSED) [ERR_UPSTREAM_UNREACHABLE]. ` +
        'Requests that need the endpoints it names (the JWKS) get 503 with Retry-After: 5 until it can be read (retried at most once per 5 s).',
    );
    // Within the cooldown no call is made, and within the minute no second line is written.
    await refusal(await jwt());
    time.advance(10_000);
    await refusal(await jwt());
    expect(lines).toHaveLength(1);
    time.advance(60_000);
    await refusal(await jwt());
    expect(lines).toHaveLength(2);
    expect(rs.health().issuers[0]!.discovery!.lastFailure!.code).toBe('ERR_UPSTREAM_UNREACHABLE');
    noToken();
  });

  it('a real refused connection on 127.0.0.1 is named as such', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const issuer = `http://127.0.0.1:${port}`;
    const lines: string[] = [];
    const rs = createResourceServer({ issuer, audience: PROJECT, logger: { warn: (m) => lines.push(m), error: (m) => lines.push(m) } });
    await expect(rs.authenticate('Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJ4In0.c2ln')).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`(${issuer}/.well-known/openid-configuration): cannot connect: request failed (connection refused, ECONNREFUSED) [ERR_UPSTREAM_UNREACHABLE]`);
  });

  it('discovery timeout: names the timeout option and its value', async () => {
    const { lines, jwt, refusal } = await setup({ timeout: 100 }, (issuer) => (url, init) => (url === DISCOVERY_URL ? hanging(url, init) : issuer.fetch(url, init)));
    expect((await refusal(await jwt())).status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain(`(${DISCOVERY_URL}): no answer within 100 ms ("timeout" option): timed out [ERR_UPSTREAM_TIMEOUT]`);
  });

  it('discovery naming another issuer (a custom domain in front of ZITADEL): both values', async () => {
    const { issuer, lines, jwt, refusal, noToken } = await setup();
    const serve = issuer.discovery;
    issuer.discovery = () => ({ body: { ...(serve().body as object), issuer: 'https://login.acme.example' } });
    expect((await refusal(await jwt())).status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain(
      `(${DISCOVERY_URL}): issuer mismatch: discovery document names another issuer ("https://login.acme.example", configured "${ISSUER}") [ERR_UPSTREAM_ISSUER_MISMATCH]`,
    );
    noToken();
  });

  it.each([
    ['HTTP 500', { status: 500, body: { error: 'boom' } }, 'HTTP 500: discovery answered HTTP 500 [ERR_UPSTREAM_STATUS]'],
    ['invalid JSON', { status: 200, body: undefined }, 'invalid answer: discovery answered 200 without a JSON object [ERR_UPSTREAM_RESPONSE]'],
  ])('discovery answering %s', async (_name, answer, cause) => {
    const { issuer, lines, jwt, refusal } = await setup();
    issuer.discovery = () => answer;
    expect((await refusal(await jwt())).status).toBe(503);
    expect(lines.map((l) => l.message)).toEqual([expect.stringContaining(`(${DISCOVERY_URL}): ${cause}. Requests that need the endpoints it names`)]);
  });

  it.each([
    ['HTTP 500', { status: 500 }, 'HTTP 500: JWKS answered HTTP 500 [ERR_UPSTREAM_STATUS]'],
    ['garbage', { status: 200, body: undefined }, 'invalid answer: JWKS answered 200 without JSON [ERR_UPSTREAM_RESPONSE]'],
    ['JSON that is not a key set', { status: 200, body: { keys: 'none' } }, 'invalid answer: JWKS answered JSON that is not a key set ({"keys": [...]}) [ERR_UPSTREAM_RESPONSE]'],
  ])('JWKS answering %s with no keys loaded: every JWT gets 503', async (_name, answer, cause) => {
    const { issuer, lines, jwt, refusal, noToken } = await setup();
    issuer.jwks = () => answer;
    const error = await refusal(await jwt());
    expect(error.status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.message).toBe(
      `The JWKS of ${ISSUER} cannot be fetched (${JWKS_URL}): ${cause}. Every JWT gets 503 with Retry-After: 5 until the JWKS can be fetched (retried at most once per 5 s).`,
    );
    noToken();
  });

  it('JWKS failing while keys are cached: a warning that the cached keys stay in use, and unknown kids get 503', async () => {
    const { issuer, rs, lines, jwt, time } = await setup();
    await rs.authenticate(`Bearer ${await jwt()}`);
    issuer.jwks = () => ({ status: 502 });
    time.advance(300_000);
    // Stale keys: refreshed in the background, and still used.
    await rs.authenticate(`Bearer ${await jwt()}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('warn');
    expect(lines[0]!.message).toContain(`(${JWKS_URL}): HTTP 502: JWKS answered HTTP 502 [ERR_UPSTREAM_STATUS]. The cached keys stay in use`);
    expect(lines[0]!.message).toContain('a token with an unknown key ("kid") gets 503 with Retry-After: 5');
  });

  it('introspection answering 500 or garbage, or unreachable: a line naming the endpoint and the cause', async () => {
    const options: Partial<ResourceServerOptions> = {
      jwksUri: JWKS_URL,
      introspection: { endpoint: INTROSPECTION_URL, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's3cret-value' } },
    };
    let mode: 'status' | 'garbage' | 'refused' = 'status';
    const { lines, opaque, refusal, time, noToken, issuer } = await setup(options, (fake) => (url, init) => (url === INTROSPECTION_URL && mode === 'refused' ? refused() : fake.fetch(url, init)));
    issuer.introspection = () => (mode === 'status' ? { status: 500 } : { status: 200, body: ['not', 'an', 'object'] });
    expect((await refusal(opaque())).status).toBe(503);
    mode = 'garbage';
    time.advance(61_000);
    expect((await refusal(opaque())).status).toBe(503);
    mode = 'refused';
    time.advance(61_000);
    expect((await refusal(opaque())).status).toBe(503);
    const prefix = `Token introspection at ${ISSUER} failed (${INTROSPECTION_URL}): `;
    expect(lines.map((l) => l.message.slice(0, l.message.indexOf('.', prefix.length + 40) + 1))).toEqual([
      `${prefix}HTTP 500: introspection answered HTTP 500 [ERR_UPSTREAM_STATUS].`,
      `${prefix}invalid answer: introspection answered something other than a JSON object [ERR_UPSTREAM_RESPONSE].`,
      `${prefix}cannot connect: request failed (connection refused, ECONNREFUSED) [ERR_UPSTREAM_UNREACHABLE].`,
    ]);
    for (const line of lines) expect(line.message).toContain('get 503 with Retry-After: 1');
    for (const line of lines) expect(line.message).not.toContain('s3cret-value');
    noToken();
  });

  it('introspection refusing the credentials: the misconfiguration line names the endpoint and the status', async () => {
    const { issuer, lines, opaque, refusal } = await setup({
      jwksUri: JWKS_URL,
      introspection: { endpoint: INTROSPECTION_URL, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'wrong' } },
    });
    issuer.introspection = () => ({ status: 401, body: { error: 'invalid_client' } });
    expect((await refusal(opaque())).status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('error');
    expect(lines[0]!.message).toContain(`Introspection is misconfigured: the introspection endpoint refused this API's client credentials (invalid_client) at ${INTROSPECTION_URL} [ERR_UPSTREAM_CLIENT_REFUSED, HTTP 401]`);
    expect(lines[0]!.message).not.toContain('wrong');
  });

  it('revocation store unreadable: names the store and what requests get', async () => {
    const revocation: RevocationList = {
      isRevoked: () => Promise.reject(Object.assign(new Error('Redis is not connected (status "reconnecting")'), { code: 'ERR_REDIS_UNAVAILABLE' })),
      revoke: () => undefined,
      health: () => ({ reachable: false, status: 'reconnecting', endpoint: 'redis://127.0.0.1:6379/0' }),
    };
    const { rs, lines, jwt, noToken } = await setup({ jwksUri: JWKS_URL, revocation });
    await rs.authenticate(`Bearer ${await jwt()}`);
    await rs.authenticate(`Bearer ${await jwt()}`);
    expect(lines).toEqual([
      {
        level: 'warn',
        message:
          'The revocation list cannot be read (redis://127.0.0.1:6379/0): Redis is not connected (status "reconnecting") [ERR_REDIS_UNAVAILABLE]. ' +
          'Requests go on without it (revocationUnavailable: "fail-open"), except on routes that demand an active token, which get 503 with Retry-After: 1.',
      },
    ]);
    noToken();
  });

  it('strips control characters from what an upstream says, and bounds it', async () => {
    const { issuer, lines, jwt, refusal } = await setup();
    issuer.discovery = () => ({ body: { issuer: `https://evil.example\n[zitadel-resource-server] forged line ${'x'.repeat(1000)}` } });
    await refusal(await jwt());
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).not.toContain('\n');
    expect(lines[0]!.message.length).toBeLessThan(1000);
  });
});
