/**
 * Issue 14 (audience rule of introspection) and issue 15 item 8 (numeric claims of an
 * introspection answer), at core level: injected fetch and clock.
 */
import { processIntrospectionResponse } from '../../../lib/core/introspection/introspection-client.js';
import { UpstreamError } from '../../../lib/core/http.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { IntrospectionAuth } from '../../../lib/core/options.js';
import type { FetchLike } from '../../../lib/core/http.js';
import { API_CLIENT_ID, ISSUER, ORG, PROJECT, activeAnswer, clock, createFakeIssuer, patAnswer, silent } from '../support/fake-issuer.js';
import { zitadelPat } from '../support/zitadel-tokens.js';
import { otherRsaKey } from '../../support/test-keys.js';

const headers = new Headers();
const basic: IntrospectionAuth = { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's3cret' };

function applicationKeyFile(clientId: string) {
  const { privateKey } = otherRsaKey(0);
  return { type: 'application' as const, keyId: '294800000000000099', key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), appId: '294800000000000088', clientId };
}

async function server(auth: IntrospectionAuth = basic) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    projectId: PROJECT,
    logger: silent,
    fetch: issuer.fetch,
    now: time.now,
    introspection: { auth },
  });
  return { rs, issuer, time };
}

describe('the audience of an introspection answer (ZITADEL validateIntrospectionAudience)', () => {
  const options = { issuer: ISSUER, audience: [PROJECT], clientId: API_CLIENT_ID, now: Date.now };

  it("accepts an answer whose aud names only the introspecting client's id", () => {
    const body = { active: true, sub: 'u', aud: [API_CLIENT_ID] };
    expect(processIntrospectionResponse({ status: 200, headers, body }, options)).toEqual({ active: true, claims: body });
    expect(processIntrospectionResponse({ status: 200, headers, body: { ...body, aud: API_CLIENT_ID } }, options)).toMatchObject({ active: true });
  });

  it('still refuses an aud that names neither the audience nor the introspecting client', () => {
    for (const aud of [['another-client@elsewhere'], 'another-project', [], [{ id: API_CLIENT_ID }], { [API_CLIENT_ID]: true }]) {
      expect(() => processIntrospectionResponse({ status: 200, headers, body: { active: true, sub: 'u', aud } }, options)).toThrow(
        expect.objectContaining({ code: 'ERR_CLAIM_INVALID', status: 401 }),
      );
    }
  });

  it('does not stretch the rule: a client id only counts when it is the introspecting one', () => {
    const withoutClient = { issuer: ISSUER, audience: [PROJECT], now: Date.now };
    expect(() => processIntrospectionResponse({ status: 200, headers, body: { active: true, sub: 'u', aud: [API_CLIENT_ID] } }, withoutClient)).toThrow(
      expect.objectContaining({ code: 'ERR_CLAIM_INVALID' }),
    );
  });

  it.each([
    ['client_secret_basic', basic],
    ['private_key_jwt', { type: 'private_key_jwt', keyFile: applicationKeyFile(API_CLIENT_ID) } as IntrospectionAuth],
  ])('accepts a PAT with audience: projectId (the README configuration), %s', async (_name, auth) => {
    const { rs, issuer, time } = await server(auth);
    issuer.introspection = () => ({ body: patAnswer(time.now()) });
    const principal = await rs.authenticate(`Bearer ${zitadelPat()}`);
    expect(principal).toMatchObject({
      subject: '294900000000000001',
      clientId: undefined,
      verifiedBy: 'introspection',
      tokenKind: 'opaque',
      audience: [API_CLIENT_ID],
      roles: { 'orders.read': [ORG] },
    });
    // Roles come from the role claim, never from the PAT's scope (which lists every project role).
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.read'] }] })).resolves.toBe(principal);
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] })).rejects.toMatchObject({ code: 'ERR_ROLE_INSUFFICIENT', status: 403 });
  });

  it("refuses a PAT answer naming another client's id (401), as before", async () => {
    const { rs, issuer, time } = await server();
    issuer.introspection = () => ({ body: patAnswer(time.now(), { aud: ['294800000000000066@billing'] }) });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID', status: 401 });
  });

  it("keeps the strict audience check for JWTs: a JWT naming only the API's client id is refused", async () => {
    const { rs, issuer } = await server();
    const jwt = await issuer.mintJwt({ aud: [API_CLIENT_ID] });
    await expect(rs.authenticate(`Bearer ${jwt}`)).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID', status: 401 });
    await expect(rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
  });
});

describe('numeric claims of an introspection answer (issue 15 item 8)', () => {
  const options = { issuer: ISSUER, audience: [PROJECT], now: Date.now };

  it.each([
    ['exp', 1e300],
    ['exp', -1e300],
    ['iat', 8.64e12 + 1],
    ['nbf', Number.MAX_VALUE],
  ])('calls %s = %d garbage (503-class), never a principal with an Invalid Date', (claim, value) => {
    expect(() => processIntrospectionResponse({ status: 200, headers, body: { active: true, sub: 'u', [claim]: value } }, options)).toThrow(UpstreamError);
    expect(() => processIntrospectionResponse({ status: 200, headers, body: { active: true, sub: 'u', [claim]: value } }, options)).toThrow(/out-of-range/);
  });

  it('accepts the edge of the Date range', () => {
    const body = { active: true, sub: 'u', exp: 8.64e12, iat: 0, nbf: -8.64e12 };
    expect(processIntrospectionResponse({ status: 200, headers, body }, options)).toMatchObject({ active: true });
  });

  it('answers 503 (not cached) for "exp": 1e400, which JSON.parse turns into Infinity', async () => {
    let calls = 0;
    const fetch: FetchLike = async () => {
      calls += 1;
      return new Response('{"active":true,"sub":"294900000000000001","exp":1e400}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const rs = createResourceServer({
      issuer: ISSUER,
      audience: PROJECT,
      logger: silent,
      fetch,
      introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: basic },
    });
    const token = zitadelPat();
    await expect(rs.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503 });
    await expect(rs.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503 });
    expect(calls).toBe(2);
  });

  it('still builds principals from ordinary answers', async () => {
    const { rs, issuer, time } = await server();
    issuer.introspection = () => ({ body: activeAnswer(time.now()) });
    const principal = await rs.authenticate(`Bearer ${zitadelPat()}`);
    expect(principal.expiresAt?.getTime()).toBe((Math.floor(time.now() / 1000) + 3600) * 1000);
  });
});
