import { createResourceServer } from '../../lib/core/resource-server.js';
import { MemoryTokenCache } from '../../lib/core/token-cache.js';
import type { CachedIntrospection } from '../../lib/core/introspection/introspector.js';
import { processIntrospectionResponse } from '../../lib/core/introspection/introspection-client.js';
import type { FetchLike } from '../../lib/core/http.js';
import { zitadelOpaqueToken, zitadelPat } from './support/zitadel-tokens.js';

const ISSUER = 'https://acme.zitadel.cloud';
const PROJECT = '294800000000000001';
const ORG = '294700000000000001';
const silent = { warn: () => undefined, error: () => undefined };

/** A ZITADEL-shaped answer for a service user's token (the API's project roles, resource owner claims). */
function serviceUserAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    active: true,
    scope: 'openid urn:zitadel:iam:org:project:id:zitadel:aud',
    client_id: 'orders-worker',
    token_type: 'Bearer',
    exp: now + 3600,
    iat: now,
    nbf: now,
    sub: '294900000000000001',
    aud: [PROJECT, '294800000000000002'],
    iss: ISSUER,
    jti: 'V2_294900000000000009-at_294900000000000010',
    username: 'orders-worker',
    'urn:zitadel:iam:user:resourceowner:id': ORG,
    'urn:zitadel:iam:user:resourceowner:name': 'ACME',
    'urn:zitadel:iam:user:resourceowner:primary_domain': 'acme.zitadel.cloud',
    'urn:zitadel:iam:org:project:roles': { 'orders.read': { [ORG]: 'acme.zitadel.cloud' } },
    [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: { 'orders.read': { [ORG]: 'acme.zitadel.cloud' } },
    ...overrides,
  };
}

function fakeIntrospection(answer: (token: string) => Record<string, unknown>, counter = { calls: 0 }): FetchLike {
  return async (_url, init) => {
    counter.calls += 1;
    const token = new URLSearchParams(init.body as string).get('token') ?? '';
    return new Response(JSON.stringify(answer(token)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

function server(fetch: FetchLike, cache?: MemoryTokenCache<CachedIntrospection>, now?: () => number) {
  return createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    projectId: PROJECT,
    logger: silent,
    fetch,
    ...(now ? { now } : {}),
    introspection: {
      endpoint: `${ISSUER}/oauth/v2/introspect`,
      auth: { type: 'client_secret_basic', clientId: 'orders-api@acme', clientSecret: 's' },
      ...(cache ? { cache } : {}),
    },
  });
}

describe('introspection with ZITADEL-shaped answers', () => {
  it('builds the principal of a service user token', async () => {
    const principal = await server(fakeIntrospection(() => serviceUserAnswer())).authenticate(`Bearer ${zitadelOpaqueToken()}`);
    expect(principal).toMatchObject({
      subject: '294900000000000001',
      clientId: 'orders-worker',
      organizationId: ORG,
      scopes: ['openid', 'urn:zitadel:iam:org:project:id:zitadel:aud'],
      roles: { 'orders.read': [ORG] },
      tokenId: 'V2_294900000000000009-at_294900000000000010',
      verifiedBy: 'introspection',
      tokenKind: 'opaque',
      issuer: ISSUER,
      audience: [PROJECT, '294800000000000002'],
    });
  });

  it('takes roles from the role claim of a PAT, not from its scope', async () => {
    const pat = serviceUserAnswer({
      scope: `openid urn:zitadel:iam:org:project:role:orders.read urn:zitadel:iam:org:project:role:orders.admin`,
      [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: { 'orders.read': { [ORG]: 'acme.zitadel.cloud' } },
    });
    const rs = server(fakeIntrospection(() => pat));
    const principal = await rs.authenticate(`Bearer ${zitadelPat()}`);
    expect(Object.keys(principal.roles)).toEqual(['orders.read']);
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] })).rejects.toMatchObject({ code: 'ERR_ROLE_INSUFFICIENT', status: 403 });
  });

  it('keeps role grants per organization', async () => {
    const answer = serviceUserAnswer({
      [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: { 'orders.write': { 'org-a': 'a.example', 'org-b': 'b.example' } },
    });
    const rs = server(fakeIntrospection(() => answer));
    const principal = await rs.authenticate(`Bearer ${zitadelOpaqueToken()}`);
    expect(principal.roles).toEqual({ 'orders.write': ['org-a', 'org-b'] });
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.write'], organizationId: 'org-b' }] })).resolves.toBe(principal);
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.write'], organizationId: 'org-c' }] })).rejects.toMatchObject({ status: 403 });
  });

  it('never holds more entries than its cap, whatever the number of distinct tokens', async () => {
    // Cap 50, 60 distinct tokens: enough to show that the cap holds (the LRU evicts) and that
    // nothing is answered from the cache (every token is introspected once).
    const cache = new MemoryTokenCache<CachedIntrospection>({ max: 50 });
    const counter = { calls: 0 };
    // New tokens are introspected at most introspection.maxNewPerSecond (default 100) per
    // second: the clock moves 20 ms per token.
    let time = Date.now();
    const rs = server(fakeIntrospection(() => serviceUserAnswer(), counter), cache, () => time);
    let largest = 0;
    const tokens = Array.from({ length: 60 }, () => zitadelOpaqueToken());
    for (const token of tokens) {
      time += 20;
      await rs.authenticate(`Bearer ${token}`);
      largest = Math.max(largest, cache.size);
    }
    expect(counter.calls).toBe(60);
    expect(largest).toBe(50);
    // The oldest were evicted (introspected again), the newest are still cached.
    await rs.authenticate(`Bearer ${tokens[59]!}`);
    expect(counter.calls).toBe(60);
    time += 20;
    await rs.authenticate(`Bearer ${tokens[0]!}`);
    expect(counter.calls).toBe(61);
  });

  it('keys the cache by the token hash, never by the token', async () => {
    const cache = new MemoryTokenCache<CachedIntrospection>({ max: 10 });
    const keys: string[] = [];
    const spy = { get: (k: string) => cache.get(k), set: (k: string, v: CachedIntrospection, t: number) => { keys.push(k); cache.set(k, v, t); }, delete: (k: string) => cache.delete(k) };
    const rs = createResourceServer({
      issuer: ISSUER, audience: PROJECT, logger: silent, fetch: fakeIntrospection(() => serviceUserAnswer()),
      introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: 'a', clientSecret: 'b' }, cache: spy },
    });
    const token = zitadelOpaqueToken();
    await rs.authenticate(`Bearer ${token}`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(token);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('a cache shared by several APIs', () => {
  it("never reuses another API's answer (its roles and audience check are not ours)", async () => {
    const cache = new MemoryTokenCache<CachedIntrospection>({ max: 10 });
    const counter = { calls: 0 };
    const fetch = fakeIntrospection(() => serviceUserAnswer({ aud: [PROJECT, 'other-project'] }), counter);
    const make = (audience: string, clientId: string) =>
      createResourceServer({
        issuer: ISSUER, audience, logger: silent, fetch,
        introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId, clientSecret: 's' }, cache },
      });
    const orders = make(PROJECT, 'orders-api');
    const billing = make('other-project', 'billing-api');
    const shared = zitadelOpaqueToken();
    await orders.authenticate(`Bearer ${shared}`);
    await orders.authenticate(`Bearer ${shared}`);
    expect(counter.calls).toBe(1);
    await billing.authenticate(`Bearer ${shared}`);
    expect(counter.calls).toBe(2);
  });
});

describe('processIntrospectionResponse', () => {
  const options = { issuer: ISSUER, audience: [PROJECT], now: Date.now };
  const headers = new Headers();

  it.each([
    ['a string "true"', { active: 'true' }],
    ['no active', { sub: 'x' }],
    ['an array', [{ active: true }]],
    ['a non-numeric exp', { active: true, exp: '123' }],
  ])('calls %s garbage (503-class), not inactive', (_name, body) => {
    expect(() => processIntrospectionResponse({ status: 200, headers, body }, options)).toThrow(/introspection answered/);
  });

  it('treats 401 and invalid_client as our own misconfiguration', () => {
    expect(() => processIntrospectionResponse({ status: 401, headers, body: undefined }, options)).toThrow(/client credentials/);
    expect(() => processIntrospectionResponse({ status: 400, headers, body: { error: 'invalid_client' } }, options)).toThrow(/client credentials/);
  });

  it('accepts answers without iss and aud (optional in RFC 7662)', () => {
    expect(processIntrospectionResponse({ status: 200, headers, body: { active: true, sub: 'x' } }, options)).toEqual({ active: true, claims: { active: true, sub: 'x' } });
  });
});
