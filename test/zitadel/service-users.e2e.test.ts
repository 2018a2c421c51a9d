/**
 * The package against the ZITADEL-exact test issuer, configured as the README's "Setting up
 * ZITADEL" says, for each of the three service-user methods: through `rs.authenticate()` and
 * through HTTP on every app kind. Each shape the issuer emulates names its ZITADEL source.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { AuthError } from '../../lib/core/errors.js';
import type { Principal } from '../../lib/core/principal.js';
import { zitadelScopes } from '../../lib/client/index.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';
import { API_CLIENT_ID, METHODS, ORG, OTHER_PROJECT_ID, PROJECT_ID, startZitadel } from './support.js';
import type { ZitadelFixture } from './support.js';

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as AuthError,
  );
}

describe('ZITADEL service users, README configuration, rs.authenticate()', () => {
  let zitadel: ZitadelFixture;

  beforeAll(async () => {
    zitadel = await startZitadel();
  });
  afterAll(async () => {
    await zitadel.close();
  });

  describe.each(['client_secret_basic', 'private_key_jwt'] as const)('introspection as the API application (%s)', (auth) => {
    it.each(METHODS)('%s: the caller, its organization and its roles', async (method) => {
      const rs = createResourceServer(zitadel.options(auth));
      const principal = await rs.authenticate(`Bearer ${await zitadel.token(method)}`);
      expect(principal).toMatchObject({
        subject: zitadel.user.userId,
        organizationId: ORG,
        roles: { 'orders.admin': [ORG], 'orders.read': [ORG] },
        verifiedBy: method === 'jwt profile (JWT)' ? 'jwks' : 'introspection',
        tokenKind: method === 'jwt profile (JWT)' ? 'jwt' : 'opaque',
        issuer: zitadel.issuer.issuer,
      });
      // A PAT belongs to no client (access_token.go assertClientScopesForPAT); the grants' client is the user name.
      expect(principal.clientId).toBe(method === 'personal access token' ? undefined : 'orders-batch');
      await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'], organizationId: ORG }] })).resolves.toBe(principal);
    });
  });

  it('refuses a JWT for another project with 401 (strict audience), and an opaque one as inactive', async () => {
    const rs = createResourceServer(zitadel.options('client_secret_basic'));
    const scope = zitadelScopes.apiAccess(OTHER_PROJECT_ID);
    const jwt = await zitadel.issuer.issueToken({ user: zitadel.user, accessTokenType: 'jwt', scope });
    expect(await refusal(rs.authenticate(`Bearer ${jwt}`))).toMatchObject({ status: 401, code: 'ERR_CLAIM_INVALID' });
    // ZITADEL answers {"active": false} to an API whose project is not in aud (validateIntrospectionAudience).
    const opaque = await zitadel.issuer.issueToken({ user: zitadel.user, scope });
    expect(await refusal(rs.authenticate(`Bearer ${opaque}`))).toMatchObject({ status: 401, code: 'ERR_TOKEN_INACTIVE' });
  });

  it('a JWT requested without the roles scope carries no roles: 403 on a role route', async () => {
    const rs = createResourceServer(zitadel.options('client_secret_basic'));
    const jwt = await zitadel.issuer.issueToken({ user: zitadel.user, accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(PROJECT_ID, { roles: false }) });
    const principal = await rs.authenticate(`Bearer ${jwt}`);
    expect(principal.roles).toEqual({});
    expect(principal.organizationId).toBe(ORG);
    expect(await refusal(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] }))).toMatchObject({ status: 403, code: 'ERR_ROLE_INSUFFICIENT' });
  });

  it('answers 503 when ZITADEL refuses the API application (400 unauthorized_client)', async () => {
    const rs = createResourceServer(zitadel.options('client_secret_basic', {
      introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'wrong' } },
    }));
    const error = await refusal(rs.authenticate(`Bearer ${await zitadel.token('client credentials (opaque)')}`));
    expect(error).toMatchObject({ status: 503, code: 'ERR_ISSUER_UNAVAILABLE' });
  });

  // Releases of ZITADEL before the token-actor support answer a PAT with aud = [API client id]
  // only (access_token.go assertClientScopesForPAT); ZITADEL checked the audience itself, so
  // with `audience: projectId` the answer is accepted (the core's introspection audience rule).
  it('accepts a PAT whose introspection aud is only the API client id (patAudience: client)', async () => {
    const older = await startZitadel({ patAudience: 'client' });
    try {
      const rs = createResourceServer(older.options('client_secret_basic'));
      const principal = await rs.authenticate(`Bearer ${await older.token('personal access token')}`);
      expect(principal.roles).toEqual({ 'orders.admin': [ORG], 'orders.read': [ORG] });
    } finally {
      await older.close();
    }
  });

  it('sets the actor of an impersonation / token-exchange token (act) on the principal', async () => {
    const actor = { iss: zitadel.issuer.issuer, sub: '200000000000000077' };
    const rs = createResourceServer(zitadel.options('client_secret_basic'));
    for (const accessTokenType of ['jwt', 'bearer'] as const) {
      const token = await zitadel.issuer.issueToken({ user: zitadel.user, accessTokenType, scope: [...zitadelScopes.apiAccess(PROJECT_ID)], actor });
      const principal: Principal & { actor?: unknown } = await rs.authenticate(`Bearer ${token}`);
      expect(principal.actor).toEqual({ subject: actor.sub, issuer: actor.iss });
    }
  });

  // zitadel/oidc v3.47 and the newest ZITADEL source encrypt opaque access tokens as a
  // compact JWE (A256GCMKW, A256GCM; internal/api/oidc/op.go NewServer, zitadel/oidc
  // pkg/op/crypto.go). They are opaque to an API and are introspected.
  it('introspects ZITADEL\'s JWE-encrypted opaque access tokens (opaqueTokenFormat: jwe)', async () => {
    const newest = await startZitadel({ opaqueTokenFormat: 'jwe' });
    try {
      const rs = createResourceServer(newest.options('client_secret_basic'));
      const principal = await rs.authenticate(`Bearer ${await newest.token('client credentials (opaque)')}`);
      expect(principal).toMatchObject({ verifiedBy: 'introspection', roles: { 'orders.admin': [ORG], 'orders.read': [ORG] } });
    } finally {
      await newest.close();
    }
  });
});

describe.each(APP_KINDS)('ZITADEL service users over HTTP on %s', (kind: AppKind) => {
  let zitadel: ZitadelFixture;
  let app: RunningApp;

  beforeAll(async () => {
    zitadel = await startZitadel();
    // Basic on the Express apps, Private Key JWT on Nest: both README configurations.
    app = await startApp(kind, zitadel.options(kind.startsWith('nest') ? 'private_key_jwt' : 'client_secret_basic'));
  });
  afterAll(async () => {
    await app?.close();
    await zitadel.close();
  });

  it.each(METHODS)('%s: allowed on role routes, org-scoped roles included; refused where the role is missing', async (method) => {
    const token = await zitadel.token(method);
    const me = await get(`${app.url}/me`, token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ subject: zitadel.user.userId, organizationId: ORG, roles: { 'orders.admin': [ORG], 'orders.read': [ORG] } });
    expect((await get(`${app.url}/admin`, token)).status).toBe(200);
    expect((await get(`${app.url}/mine`, token)).status).toBe(200);
    const export_ = await get(`${app.url}/reports/export`, token);
    expect(export_.status).toBe(403);
  });

  it('PAT with aud = [API client id] only (older ZITADEL): allowed with audience: projectId', async () => {
    const older = await startZitadel({ patAudience: 'client' });
    const running = await startApp(kind, older.options('client_secret_basic'));
    try {
      expect((await get(`${running.url}/admin`, await older.token('personal access token'))).status).toBe(200);
    } finally {
      await running.close();
      await older.close();
    }
  });

  // ZITADEL writes only urn:zitadel:iam:org:project:{projectId}:roles into a service user's JWT
  // (userinfo.go setUserInfoRoleClaims); without `projectId` the core reads the project claim
  // of every project named in `audience`, so the roles apply (a silent 403 would be wrong).
  it('without projectId, roles of a JWT either apply or the app refuses to start naming projectId', async () => {
    let running: RunningApp;
    try {
      running = await startApp(kind, zitadel.options('client_secret_basic', { projectId: undefined }));
    } catch (error) {
      expect(String((error as Error).message)).toContain('projectId');
      return;
    }
    try {
      expect((await get(`${running.url}/admin`, await zitadel.token('jwt profile (JWT)'))).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
