/**
 * Hardening, second round (issue 15 items 4, 7, 8) and the misconfiguration backoff (issue
 * 14), at core level: the real attack input, an injected fetch that records every upstream
 * request (so "no request went there" is checked, not assumed), a frozen clock, and the
 * exact answer (status, headers, body) the pipeline turns the error into.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServer } from '../../lib/core/resource-server.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer, patAnswer } from '../core/support/fake-issuer.js';
import { zitadelPat } from '../core/support/zitadel-tokens.js';

const SECRET = 'api-client-secret-7f3a';

async function setup(options: Partial<ResourceServerOptions> = {}) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const logs: string[] = [];
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    projectId: PROJECT,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    fetch: issuer.fetch,
    now: time.now,
    introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: SECRET } },
    ...options,
  } as ResourceServerOptions);
  return { rs, issuer, time, logs };
}

/** The wire answer for one Authorization header value. */
async function answer(rs: ResourceServer, token: string) {
  try {
    await rs.authenticate(`Bearer ${token}`);
    return { status: 200 as number, headers: {} as Record<string, string>, body: undefined as unknown };
  } catch (error) {
    const response = rs.toErrorResponse(error);
    expect(JSON.stringify(response)).not.toContain(token);
    return response;
  }
}

describe('15.4 introspection amplification', () => {
  it('150 unauthenticated requests with random strings make no introspection call (main: 150)', async () => {
    const { rs, issuer } = await setup();
    const junk = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? randomUUID() : i % 3 === 1 ? randomBytes(12).toString('hex') : `x${randomBytes(9).toString('base64url')}`));
    const answers = await Promise.all(junk.map((token) => answer(rs, token)));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(answers[0]!.headers).toEqual({ 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The token is malformed"' });
    expect(issuer.calls.introspection).toBe(0);
    expect(issuer.requested).toEqual([]);
  });

  it('150 ZITADEL-shaped fakes at once: at most 6 calls in flight (main: 150 at once); the rest 503 with Retry-After: 1', async () => {
    const { rs, issuer } = await setup({ introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: SECRET } } });
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    issuer.introspection = () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      return new Promise((resolve) => held.push(() => (inFlight -= 1, resolve({ body: { active: false } }))));
    };
    const pending = Promise.all(Array.from({ length: 150 }, () => answer(rs, zitadelPat())));
    await new Promise((resolve) => setImmediate(resolve));
    for (const release of held.splice(0)) release();
    const answers = await pending;
    expect(most).toBe(6);
    expect(issuer.calls.introspection).toBe(6);
    const shed = answers.filter((a) => a.status === 503);
    expect(shed).toHaveLength(144);
    expect(shed[0]).toEqual({ status: 503, headers: { 'retry-after': '1' }, body: { error: 'temporarily_unavailable', error_description: 'Token introspection is busy; retry later', statusCode: 503 } });
  });
});

describe('15.7 discovery endpoints followed anywhere', () => {
  it('a tampered discovery document cannot make the API post its client secret and the caller\'s token to another host', async () => {
    const { rs, issuer, logs } = await setup();
    issuer.discovery = () => ({ body: { issuer: ISSUER, jwks_uri: `${ISSUER}/oauth/v2/keys`, introspection_endpoint: 'https://collector.attacker.example/introspect' } });
    const token = zitadelPat();
    const response = await answer(rs, token);
    expect(response.status).toBe(503);
    expect(response.headers).toEqual({ 'retry-after': '5' });
    expect(issuer.requested).toEqual([`${ISSUER}/.well-known/openid-configuration`]);
    expect(logs.join('\n')).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('a remote https issuer cannot make the API GET a loopback port (jwks_uri http://127.0.0.1:2375/…)', async () => {
    const { rs, issuer } = await setup();
    issuer.discovery = () => ({ body: { issuer: ISSUER, jwks_uri: 'http://127.0.0.1:2375/containers/json', introspection_endpoint: `${ISSUER}/oauth/v2/introspect` } });
    const response = await answer(rs, await issuer.mintJwt());
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect((response.body as { error_description: string }).error_description).toContain('accepted only for a loopback issuer');
    expect(issuer.requested.filter((url) => url.includes('127.0.0.1'))).toEqual([]);
  });

  it('a jwks_uri on another origin is not fetched (its keys would sign anything)', async () => {
    const { rs, issuer } = await setup();
    issuer.discovery = () => ({ body: { issuer: ISSUER, jwks_uri: 'https://keys.attacker.example/jwks.json' } });
    expect((await answer(rs, await issuer.mintJwt())).status).toBe(503);
    expect(issuer.requested.some((url) => url.includes('attacker'))).toBe(false);
  });
});

describe('15.8 coercions', () => {
  it('groups: "Sales team admin" does not grant admin (generic preset)', async () => {
    const { rs, issuer } = await setup({ claims: 'generic', rolesClaim: 'groups', projectId: undefined });
    const principal = await rs.authenticate(`Bearer ${await issuer.mintJwt({ groups: 'Sales team admin' })}`);
    const error = await rs.authorize(principal, { roles: [{ anyOf: ['admin'] }] }).catch((e: unknown) => e);
    expect(rs.toErrorResponse(error).status).toBe(403);
  });

  it('exp = 1e300 is refused with 401 invalid_token (main: 200 and an Invalid Date)', async () => {
    const { rs, issuer } = await setup();
    const response = await answer(rs, await issuer.mintJwt({ exp: 1e300 }));
    expect(response).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The token\'s exp claim is not a usable date"' },
      body: { error: 'invalid_token', error_description: "The token's exp claim is not a usable date", statusCode: 401 },
    });
  });

  it('an introspection answer with exp = 1e300 is not trusted: 503, not an allow', async () => {
    const { rs, issuer, time } = await setup();
    issuer.introspection = () => ({ body: patAnswer(time.now(), { exp: 1e300 }) });
    expect((await answer(rs, zitadelPat())).status).toBe(503);
  });
});

describe('14 misconfiguration backoff', () => {
  it('50 requests after a 400 unauthorized_client make one upstream call and answer Retry-After: 60 (main: 50 calls, Retry-After: 1)', async () => {
    const { rs, issuer } = await setup({ introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: SECRET } } });
    issuer.introspection = () => ({ status: 400, body: { error: 'unauthorized_client', error_description: 'client must be authenticated' } });
    const answers = [];
    for (let i = 0; i < 50; i += 1) answers.push(await answer(rs, zitadelPat()));
    expect(issuer.calls.introspection).toBe(1);
    expect(answers.every((a) => a.status === 503 && a.headers['retry-after'] === '60')).toBe(true);
  });
});
