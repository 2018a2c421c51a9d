/**
 * Claims → Principal: roles that cannot silently vanish (issue 14), the actor of an
 * impersonated token (issue 14), and no coercions (issue 15 item 8). JWTs are signed with a
 * key generated per run and verified through an injected fetch.
 */
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { toPrincipal } from '../../lib/core/principal.js';
import type { PrincipalOptions } from '../../lib/core/principal.js';
import { API_CLIENT_ID, ISSUER, ORG, PROJECT, activeAnswer, clock, createFakeIssuer, silent } from './support/fake-issuer.js';
import { zitadelPat } from './support/zitadel-tokens.js';

const OTHER_PROJECT = '294800000000000003';
const ORG_B = '294700000000000002';
const roles = (project: string | undefined, grants: Record<string, string[]>) => ({
  [project === undefined ? 'urn:zitadel:iam:org:project:roles' : `urn:zitadel:iam:org:project:${project}:roles`]: Object.fromEntries(
    Object.entries(grants).map(([role, orgs]) => [role, Object.fromEntries(orgs.map((org) => [org, `${org}.example`]))]),
  ),
});

async function setup(options: Partial<ResourceServerOptions> = {}) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    logger: silent,
    fetch: issuer.fetch,
    now: time.now,
    introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's' } },
    ...options,
  } as ResourceServerOptions);
  return { rs, issuer, time };
}

describe('roles that cannot silently vanish (issue 14)', () => {
  it("without projectId, reads the project-specific claim of the audience's project (what ZITADEL writes for service users)", async () => {
    const { rs, issuer } = await setup();
    // JWT profile / client credentials grant: only the project-specific claim (userinfo.go setUserInfoRoleClaims).
    const jwt = await issuer.mintJwt(roles(PROJECT, { 'orders.admin': [ORG] }));
    const principal = await rs.authenticate(`Bearer ${jwt}`);
    expect(principal.roles).toEqual({ 'orders.admin': [ORG] });
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] })).resolves.toBe(principal);
  });

  it('without projectId, merges the generic claim and the claims of every configured audience value', async () => {
    const { rs, issuer } = await setup({ audience: [PROJECT, OTHER_PROJECT, API_CLIENT_ID] });
    const jwt = await issuer.mintJwt({
      ...roles(undefined, { 'orders.read': [ORG] }),
      ...roles(PROJECT, { 'orders.read': [ORG_B], 'orders.write': [ORG] }),
      ...roles(OTHER_PROJECT, { 'billing.read': [ORG] }),
      ...roles('294800000000000999', { 'secret.admin': [ORG] }),
    });
    const principal = await rs.authenticate(`Bearer ${jwt}`);
    expect(principal.roles).toEqual({ 'orders.read': [ORG, ORG_B], 'orders.write': [ORG], 'billing.read': [ORG] });
  });

  it('with projectId, reads only that project\'s claim (the generic one may describe another project)', async () => {
    const { rs, issuer } = await setup({ audience: [PROJECT, OTHER_PROJECT], projectId: PROJECT });
    const jwt = await issuer.mintJwt({
      ...roles(undefined, { 'orders.admin': [ORG] }),
      ...roles(OTHER_PROJECT, { 'orders.admin': [ORG] }),
      ...roles(PROJECT, { 'orders.read': [ORG] }),
    });
    expect((await rs.authenticate(`Bearer ${jwt}`)).roles).toEqual({ 'orders.read': [ORG] });
  });

  it('applies to introspection answers too (ZITADEL writes the introspecting project\'s claim)', async () => {
    const { rs, issuer, time } = await setup();
    issuer.introspection = () => ({ body: activeAnswer(time.now(), roles(PROJECT, { 'orders.write': [ORG] })) });
    expect((await rs.authenticate(`Bearer ${zitadelPat()}`)).roles).toEqual({ 'orders.write': [ORG] });
  });

  it('ignores role claims that are not objects, and keeps "__proto__" an ordinary role', () => {
    const options: PrincipalOptions = { preset: 'zitadel', projectId: undefined, audience: [PROJECT], rolesClaim: undefined, issuer: ISSUER };
    const facts = { verifiedBy: 'jwks' as const, tokenKind: 'jwt' as const, shortHash: 'sha256:x' };
    const claims = JSON.parse(`{"sub":"u","urn:zitadel:iam:org:project:roles":["admin"],"urn:zitadel:iam:org:project:${PROJECT}:roles":{"__proto__":{"${ORG}":"a"}}}`);
    const principal = toPrincipal(claims, facts, options);
    expect(Object.keys(principal.roles)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(principal.roles)).toBe(Object.prototype);
  });
});

describe('the actor of an impersonated or exchanged token (issue 14)', () => {
  const act = { iss: ISSUER, sub: '294900000000000042' };

  it('is read from a JWT act claim', async () => {
    const { rs, issuer } = await setup();
    const principal = await rs.authenticate(`Bearer ${await issuer.mintJwt({ act })}`);
    expect(principal.actor).toEqual({ subject: '294900000000000042', issuer: ISSUER });
    expect(principal.subject).toBe('294900000000000001');
  });

  it('is read from an introspection answer, the current actor only (not the chain)', async () => {
    const { rs, issuer, time } = await setup();
    issuer.introspection = () => ({ body: activeAnswer(time.now(), { act: { sub: '294900000000000043', act: { sub: 'earlier' } } }) });
    expect((await rs.authenticate(`Bearer ${zitadelPat()}`)).actor).toEqual({ subject: '294900000000000043', issuer: undefined });
  });

  it('is undefined without act', async () => {
    const { rs, issuer } = await setup();
    expect((await rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).actor).toBeUndefined();
  });

  it.each([
    ['a string', 'admin'],
    ['an array', [act]],
    ['null', null],
    ['no sub', { iss: ISSUER }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 }],
    ['an object sub', { sub: { id: 'x' } }],
    ['a numeric iss', { sub: 'x', iss: 7 }],
    ['an empty iss', { sub: 'x', iss: '' }],
  ])('ignores a malformed act (%s) without refusing the token', async (_name, value) => {
    const { rs, issuer } = await setup();
    const principal = await rs.authenticate(`Bearer ${await issuer.mintJwt({ act: value })}`);
    expect(principal.actor).toBeUndefined();
    expect(principal.subject).toBe('294900000000000001');
  });
});

describe('no coercions (issue 15 item 8)', () => {
  it('a string roles claim in the generic preset grants nothing ("Sales team admin" is not admin)', async () => {
    const { rs, issuer } = await setup({ claims: 'generic', rolesClaim: 'groups' });
    const principal = await rs.authenticate(`Bearer ${await issuer.mintJwt({ groups: 'Sales team admin' })}`);
    expect(principal.roles).toEqual({});
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['admin'] }] })).rejects.toMatchObject({ code: 'ERR_ROLE_INSUFFICIENT', status: 403 });
  });

  it.each([
    ['an object', { admin: true }],
    ['a number', 1],
    ['true', true],
  ])('a roles claim that is %s grants nothing', async (_name, groups) => {
    const { rs, issuer } = await setup({ claims: 'generic', rolesClaim: 'realm_access.roles' });
    expect((await rs.authenticate(`Bearer ${await issuer.mintJwt({ realm_access: { roles: groups } })}`)).roles).toEqual({});
  });

  it('an array of role names still works, non-strings skipped', async () => {
    const { rs, issuer } = await setup({ claims: 'generic', rolesClaim: 'realm_access.roles' });
    const principal = await rs.authenticate(`Bearer ${await issuer.mintJwt({ realm_access: { roles: ['admin', 7, '', 'viewer'] } })}`);
    expect(principal.roles).toEqual({ admin: [], viewer: [] });
  });

  it.each([
    ['exp', 1e300],
    ['iat', -1e300],
    ['nbf', -1e300],
  ])('a signed JWT with %s = %d is refused (401 ERR_CLAIM_INVALID), never an Invalid Date', async (claim, value) => {
    const { rs, issuer } = await setup();
    await expect(rs.authenticate(`Bearer ${await issuer.mintJwt({ [claim]: value })}`)).rejects.toMatchObject({ code: 'ERR_CLAIM_INVALID', status: 401 });
  });

  it('refuses out-of-range dates whatever the verification path (toPrincipal)', () => {
    const options: PrincipalOptions = { preset: 'zitadel', projectId: undefined, rolesClaim: undefined, issuer: ISSUER };
    const facts = { verifiedBy: 'introspection' as const, tokenKind: 'opaque' as const, shortHash: 'sha256:x' };
    for (const exp of [1e300, Number.POSITIVE_INFINITY, Number.NaN, 8.64e12 + 1, '1700000000']) {
      expect(() => toPrincipal({ sub: 'u', exp }, facts, options)).toThrow(expect.objectContaining({ code: 'ERR_CLAIM_INVALID' }));
    }
    expect(toPrincipal({ sub: 'u', exp: 8.64e12 }, facts, options).expiresAt?.getTime()).toBe(8.64e15);
  });
});
