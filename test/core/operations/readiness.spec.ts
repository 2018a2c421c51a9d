/**
 * Issue 17: warm-up (`rs.ready()`) and readiness (`rs.health()`): not ready before the JWKS
 * is loaded, ready after, not ready once the issuer has been failing beyond the tolerance.
 * Injected fetch and clock; no sockets.
 */
import { IssuerUnavailableError } from '../../../lib/core/errors.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { RevocationList } from '../../../lib/core/revocation.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer } from '../support/fake-issuer.js';
import { zitadelOpaqueToken } from '../support/zitadel-tokens.js';

const JWKS_URL = `${ISSUER}/oauth/v2/keys`;
const INTROSPECTION_URL = `${ISSUER}/oauth/v2/introspect`;

async function setup(options: Partial<ResourceServerOptions> = {}) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const lines: string[] = [];
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    logger: { warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) },
    fetch: issuer.fetch,
    now: time.now,
    ...options,
  });
  return { time, issuer, rs, lines };
}

describe('rs.ready() and rs.health()', () => {
  it('is not ready before the JWKS is loaded, and ready after ready() loaded discovery and JWKS (no request needed)', async () => {
    const { rs, issuer, time } = await setup();
    const before = rs.health();
    expect(before.ready).toBe(false);
    expect(before.issuers[0]).toMatchObject({ issuer: ISSUER, ready: false, problems: ['the JWKS is not loaded yet'], jwks: { loaded: false, fresh: false } });
    expect(issuer.calls).toEqual({ discovery: 0, jwks: 0, introspection: 0 });

    const health = await rs.ready();
    expect(issuer.calls).toEqual({ discovery: 1, jwks: 1, introspection: 0 });
    expect(health.ready).toBe(true);
    expect(health.issuers[0]).toEqual({
      issuer: ISSUER,
      ready: true,
      problems: [],
      discovery: { url: `${ISSUER}/.well-known/openid-configuration`, loaded: true, ageMs: 0, fresh: true, failing: false, failingForMs: undefined, lastFailure: undefined },
      // ZITADEL's Cache-Control: max-age=300.
      jwks: { url: JWKS_URL, loaded: true, ageMs: 0, fresh: true, failing: false, failingForMs: undefined, lastFailure: undefined, freshForMs: 300_000 },
      introspection: undefined,
    });
    expect(health.revocation).toBeUndefined();
    // The first request pays no fetch.
    await rs.authenticate(`Bearer ${await issuer.mintJwt()}`);
    expect(issuer.calls.jwks).toBe(1);
    // ready() again: nothing to do while fresh.
    time.advance(299_000);
    await rs.ready();
    expect(issuer.calls.jwks).toBe(1);
    expect(rs.health().issuers[0]!.jwks).toMatchObject({ ageMs: 299_000, fresh: true });
    // Stale: ready() refreshes (a probe keeps the keys fresh without traffic).
    time.advance(1000);
    expect(rs.health().issuers[0]!.jwks.fresh).toBe(false);
    await rs.ready();
    expect(issuer.calls.jwks).toBe(2);
  });

  it('is not ready once the issuer has been failing beyond health.tolerance; ready again when it answers', async () => {
    const { rs, issuer, time } = await setup({ health: { tolerance: 60_000 } });
    await rs.ready();
    issuer.jwks = () => ({ status: 503 });
    time.advance(300_000);
    // A request with stale keys refreshes in the background; the cached keys keep verifying.
    await rs.authenticate(`Bearer ${await issuer.mintJwt()}`);
    await new Promise((resolve) => setImmediate(resolve));
    let jwks = rs.health().issuers[0]!.jwks;
    expect(jwks).toMatchObject({ loaded: true, fresh: false, failing: true, failingForMs: 0, lastFailure: { code: 'ERR_UPSTREAM_STATUS', at: new Date(time.now()).toISOString() } });
    expect(rs.health().ready).toBe(true);
    time.advance(59_999);
    expect(rs.health().ready).toBe(true);
    time.advance(1);
    const health = rs.health();
    expect(health.ready).toBe(false);
    expect(health.issuers[0]!.problems).toEqual([
      'the JWKS has been failing for more than 60 s ("health.tolerance") (the cached keys are 360 s old): JWKS answered HTTP 503',
    ]);
    // The issuer is back: the next attempt (after the cooldown) makes it ready again.
    issuer.jwks = () => ({ body: { keys: [issuer.publicJwk] } });
    await rs.ready();
    jwks = rs.health().issuers[0]!.jwks;
    expect(jwks).toMatchObject({ loaded: true, fresh: true, failing: false, lastFailure: { code: 'ERR_UPSTREAM_STATUS' } });
    expect(rs.health().ready).toBe(true);
  });

  it('issuer down at startup: ready() logs one clear line and resolves; with throwOnError it rejects', async () => {
    const { rs, issuer, lines, time } = await setup({ jwksUri: JWKS_URL });
    issuer.jwks = () => ({ status: 500 });
    const health = await rs.ready();
    expect(health.ready).toBe(false);
    expect(health.issuers[0]!.discovery).toBeUndefined();
    expect(health.issuers[0]!.jwks.lastFailure).toMatchObject({ code: 'ERR_UPSTREAM_STATUS', message: 'JWKS answered HTTP 500' });
    expect(lines).toEqual([
      expect.stringMatching(/^error The JWKS of https:\/\/acme\.zitadel\.cloud cannot be fetched \(https:\/\/acme\.zitadel\.cloud\/oauth\/v2\/keys\): HTTP 500/),
      `error Warm-up incomplete, the resource server is not ready: ${ISSUER}: the JWKS is not loaded: JWKS answered HTTP 500 [ERR_UPSTREAM_STATUS]. ` +
        'The app keeps running; requests that need what is missing get 503 with Retry-After until it loads.',
    ]);
    // Within the cooldown no new fetch is made.
    const rejected = rs.ready({ throwOnError: true });
    await expect(rejected).rejects.toBeInstanceOf(IssuerUnavailableError);
    await expect(rejected).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503, message: expect.stringContaining('the JWKS is not loaded') });
    expect(issuer.calls.jwks).toBe(1);
    time.advance(5000);
    issuer.jwks = () => ({ body: { keys: [issuer.publicJwk] } });
    await expect(rs.ready({ throwOnError: true })).resolves.toMatchObject({ ready: true });
  });

  it('introspection: the endpoint must be known; credentials accepted, then refused (backoff) make it not ready; shed calls are counted', async () => {
    const { rs, issuer, time } = await setup({
      introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'secret' }, maxNewPerSecond: 1 },
    });
    expect(rs.health().issuers[0]!.problems).toContain('the introspection endpoint is not known yet (from discovery, or "introspection.endpoint")');
    await rs.ready();
    let introspection = rs.health().issuers[0]!.introspection!;
    expect(introspection).toEqual({
      endpoint: INTROSPECTION_URL,
      credentials: 'unknown',
      lastAcceptedAt: undefined,
      lastRefusedAt: undefined,
      backoffUntil: undefined,
      failing: false,
      failingForMs: undefined,
      lastFailure: undefined,
      shed: { concurrency: 0, rate: 0, queue: 0, backoff: 0 },
      inFlight: 0,
    });
    expect(rs.health().ready).toBe(true);

    await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_TOKEN_INACTIVE' });
    // The rate bound (1 never-seen token per second) sheds the next one.
    await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    introspection = rs.health().issuers[0]!.introspection!;
    expect(introspection).toMatchObject({ credentials: 'accepted', lastAcceptedAt: new Date(time.now()).toISOString(), shed: { rate: 1 } });

    time.advance(1000);
    issuer.introspection = () => ({ status: 401, body: { error: 'invalid_client' } });
    await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    time.advance(1000);
    await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
    const health = rs.health();
    expect(health.ready).toBe(false);
    expect(health.issuers[0]!.introspection).toMatchObject({
      credentials: 'refused',
      lastRefusedAt: new Date(time.now() - 1000).toISOString(),
      backoffUntil: new Date(time.now() - 1000 + 60_000).toISOString(),
      lastFailure: { code: 'ERR_UPSTREAM_CLIENT_REFUSED' },
      shed: { rate: 1, backoff: 1 },
    });
    expect(health.issuers[0]!.problems).toEqual([
      `the introspection endpoint refused this API's client credentials; no call is made until ${new Date(time.now() - 1000 + 60_000).toISOString()}`,
    ]);
  });

  it('a revocation list that can tell: shown; unreachable makes the server not ready only when it fails closed', async () => {
    let reachable = false;
    const revocation: RevocationList = {
      isRevoked: () => false,
      revoke: () => undefined,
      health: () => ({ reachable, status: reachable ? 'ready' : 'reconnecting', endpoint: 'redis://127.0.0.1:6379/0' }),
    };
    const open = await setup({ revocation });
    expect((await open.rs.ready()).ready).toBe(true);
    expect(open.rs.health().revocation).toEqual({ reachable: false, status: 'reconnecting', endpoint: 'redis://127.0.0.1:6379/0' });
    const closed = await setup({ revocation, revocationUnavailable: 'fail-closed' });
    expect((await closed.rs.ready()).ready).toBe(false);
    expect(closed.lines.at(-1)).toContain('the revocation list is unreachable (reconnecting)');
    reachable = true;
    expect(closed.rs.health().ready).toBe(true);
  });

  it('validates the health option', () => {
    expect(() => createResourceServer({ issuer: ISSUER, audience: PROJECT, health: { tolerance: -1 } })).toThrow('"health.tolerance" option must be an integer from 0 to 86400000 (ms; got -1)');
    expect(() => createResourceServer({ issuer: ISSUER, audience: PROJECT, health: 5 as never })).toThrow('"health" option must be an object');
    expect(createResourceServer({ issuer: ISSUER, audience: PROJECT, jwks: { maxAge: 60_000 } }).options.health).toEqual({ tolerance: 60_000 });
  });
});
