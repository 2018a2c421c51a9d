/**
 * The test issuer's tokens and answers are ZITADEL's: each expectation names the ZITADEL
 * source the shape was read from (see lib/testing/zitadel-claims.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { zitadelScopes } from '../../lib/client/index.js';
import { createTestIssuer, createTestKeys } from '../../lib/testing/index.js';
import type { TestIssuer, TestServiceUser } from '../../lib/testing/index.js';

const PROJECT = '300000000000000001';
const OTHER_PROJECT = '300000000000000009';
const API_CLIENT = { clientId: '300000000000000002@orders', clientSecret: 'api-secret' };
const ORG = '100000000000000001';
const ORG_DOMAIN = 'org-100000000000000001.test-issuer.localhost';
const GLOBEX = '100000000000000002';
const NOW = 1_750_000_000_000;
const IAT = NOW / 1000;

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

async function introspect(issuer: TestIssuer, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(issuer.introspectionEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(API_CLIENT.clientId, API_CLIENT.clientSecret) },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('createTestIssuer speaks ZITADEL', () => {
  let issuer: TestIssuer;
  let reporter: TestServiceUser;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      keys: 'shared',
      projectId: PROJECT,
      introspectionClient: API_CLIENT,
      projectRoles: ['orders.read', 'orders.write', 'orders.admin'],
      now: () => NOW,
    });
    issuer.setRoles(issuer.serviceUser, { 'orders.read': [ORG], 'orders.write': [ORG, GLOBEX] });
    issuer.setRoles(issuer.serviceUser, { 'billing.read': [ORG] }, OTHER_PROJECT);
    reporter = issuer.createServiceUser({ username: 'orders-reporter', roles: ['orders.read'] });
  });

  afterAll(async () => {
    await issuer.close();
  });

  describe('JWT access tokens of the JWT profile and client credentials grants', () => {
    it('carry iss sub aud exp iat nbf client_id jti, typ JWT and kid, and nothing else for the audience scope alone', async () => {
      const token = await issuer.issueToken({ accessTokenType: 'jwt', scope: ['openid', zitadelScopes.projectAudience(PROJECT)] });
      // zitadel/oidc pkg/op/signer.go SignerFromKey: WithType("JWT"), kid = key id.
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: issuer.currentKid, typ: 'JWT' });
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), { currentDate: new Date(NOW) });
      // zitadel/oidc pkg/oidc/token.go NewAccessTokenClaims; internal/command/oidc_session.go token id; 12 h lifetime.
      expect(payload).toEqual({
        iss: issuer.issuer,
        sub: '200000000000000001',
        aud: [PROJECT],
        exp: IAT + 43_200,
        iat: IAT,
        nbf: IAT,
        client_id: 'service-user-client',
        jti: expect.stringMatching(/^V2_\d{18}-at_\d{18}$/),
      });
    });

    it('name only the client in aud without a project audience scope, and are then not introspectable by the API', async () => {
      const token = await issuer.issueToken({ accessTokenType: 'jwt', scope: 'openid' });
      expect(decodeJwt(token).aud).toEqual(['service-user-client']);
      expect(await introspect(issuer, token)).toEqual({ active: false });
    });

    it('carry roles only with the roles scope and the audience scope, and only the project-specific claim', async () => {
      const roles = (scope: string[]) => issuer.issueToken({ accessTokenType: 'jwt', scope }).then(decodeJwt);
      const withRoles = await roles(['openid', zitadelScopes.projectAudience(PROJECT), zitadelScopes.projectRoles()]);
      expect(withRoles[`urn:zitadel:iam:org:project:${PROJECT}:roles`]).toEqual({
        'orders.read': { [ORG]: ORG_DOMAIN },
        'orders.write': { [ORG]: ORG_DOMAIN, [GLOBEX]: 'org-100000000000000002.test-issuer.localhost' },
      });
      // userinfo.go setUserInfoRoleClaims: the generic claim is for the request's own project, empty for these grants.
      expect(withRoles).not.toHaveProperty('urn:zitadel:iam:org:project:roles');
      expect(Object.keys(await roles(['openid', zitadelScopes.projectRoles()])).filter((k) => k.includes(':roles'))).toEqual([]);
      expect(Object.keys(await roles(['openid', zitadelScopes.projectAudience(PROJECT)])).filter((k) => k.includes(':roles'))).toEqual([]);
    });

    it('narrow roles to the requested role keys, the requested organizations, and the audience projects', async () => {
      const claims = decodeJwt(
        await issuer.issueToken({
          accessTokenType: 'jwt',
          scope: ['openid', zitadelScopes.projectAudience(PROJECT), zitadelScopes.projectRole('orders.write'), zitadelScopes.rolesInOrganization(GLOBEX)],
        }),
      );
      expect(claims[`urn:zitadel:iam:org:project:${PROJECT}:roles`]).toEqual({ 'orders.write': { [GLOBEX]: 'org-100000000000000002.test-issuer.localhost' } });
      const both = decodeJwt(
        await issuer.issueToken({
          accessTokenType: 'jwt',
          scope: ['openid', zitadelScopes.projectAudience(PROJECT), zitadelScopes.projectAudience(OTHER_PROJECT), zitadelScopes.projectRoles()],
        }),
      );
      expect(both.aud).toEqual([PROJECT, OTHER_PROJECT]);
      expect(both[`urn:zitadel:iam:org:project:${OTHER_PROJECT}:roles`]).toEqual({ 'billing.read': { [ORG]: ORG_DOMAIN } });
      expect(both).toHaveProperty(`urn:zitadel:iam:org:project:${PROJECT}:roles`);
    });

    it('carry the organization only with the resource-owner (or own organization id) scope', async () => {
      const claims = decodeJwt(await issuer.issueToken({ accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(PROJECT) }));
      expect(claims).toMatchObject({
        'urn:zitadel:iam:user:resourceowner:id': ORG,
        'urn:zitadel:iam:user:resourceowner:name': 'Test Organization',
        'urn:zitadel:iam:user:resourceowner:primary_domain': ORG_DOMAIN,
      });
      const withoutScope = decodeJwt(await issuer.issueToken({ accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(PROJECT, { organization: false }) }));
      expect(Object.keys(withoutScope).filter((k) => k.includes('resourceowner'))).toEqual([]);
      const orgScope = decodeJwt(await issuer.issueToken({ accessTokenType: 'jwt', scope: ['openid', zitadelScopes.organization(ORG)] }));
      expect(orgScope).toMatchObject({ 'urn:zitadel:iam:org:id': ORG, 'urn:zitadel:iam:user:resourceowner:id': ORG });
      // checkOrgScopes drops an organization scope that is not the user's.
      const foreign = decodeJwt(await issuer.issueToken({ accessTokenType: 'jwt', scope: ['openid', zitadelScopes.organization(GLOBEX)] }));
      expect(Object.keys(foreign).filter((k) => k.startsWith('urn:zitadel'))).toEqual([]);
    });

    it('carry act for impersonation and token exchange, in the JWT and in the introspection answer', async () => {
      const actor = { iss: issuer.issuer, sub: '200000000000000099' };
      const token = await issuer.issueToken({ accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(PROJECT), actor });
      expect(decodeJwt(token)['act']).toEqual(actor);
      expect((await introspect(issuer, token))['act']).toEqual(actor);
    });
  });

  describe('opaque access tokens and their introspection', () => {
    it('are 104 base64url characters without dots', async () => {
      const token = await issuer.issueToken({ scope: zitadelScopes.apiAccess(PROJECT) });
      expect(token).toMatch(/^[A-Za-z0-9_-]{104}$/);
    });

    it('introspect with ZITADEL\'s fields, both role claims for the API\'s project, and the client credentials amr', async () => {
      const token = await issuer.issueToken({
        user: reporter,
        grant: 'client_credentials',
        scope: ['openid', zitadelScopes.projectAudience(PROJECT), 'orders:read'],
      });
      const roles = { 'orders.read': { [ORG]: ORG_DOMAIN } };
      // introspect.go Introspect + userInfo(currentProjectOnly) + zitadel/oidc IntrospectionResponse.
      expect(await introspect(issuer, token)).toEqual({
        active: true,
        scope: `openid urn:zitadel:iam:org:project:id:${PROJECT}:aud`, // 'orders:read' is no ZITADEL scope: dropped
        client_id: 'orders-reporter',
        token_type: 'Bearer',
        exp: IAT + 43_200,
        iat: IAT,
        auth_time: IAT,
        nbf: IAT,
        sub: reporter.userId,
        aud: [PROJECT],
        amr: ['pwd'],
        iss: issuer.issuer,
        jti: expect.stringMatching(/^V2_\d{18}-at_\d{18}$/),
        'urn:zitadel:iam:org:project:roles': roles,
        [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: roles,
      });
    });

    it('are inactive for an API whose project is not in the audience (validateIntrospectionAudience)', async () => {
      const token = await issuer.issueToken({ scope: ['openid', zitadelScopes.projectAudience(OTHER_PROJECT), zitadelScopes.projectRoles()] });
      expect(await introspect(issuer, token)).toEqual({ active: false });
    });

    it('show a role change at the next introspection, and revocation at once', async () => {
      const user = issuer.createServiceUser({ roles: ['orders.read'] });
      const token = await issuer.issueToken({ user, scope: zitadelScopes.apiAccess(PROJECT) });
      expect(await introspect(issuer, token)).toHaveProperty([`urn:zitadel:iam:org:project:${PROJECT}:roles`, 'orders.read']);
      issuer.setRoles(user, ['orders.admin']);
      expect((await introspect(issuer, token))[`urn:zitadel:iam:org:project:${PROJECT}:roles`]).toEqual({ 'orders.admin': { [ORG]: ORG_DOMAIN } });
      issuer.revoke(token);
      expect(await introspect(issuer, token)).toEqual({ active: false });
    });

    it('come as a compact JWE (A256GCMKW, A256GCM) with opaqueTokenFormat: \'jwe\', as the newest ZITADEL issues them', async () => {
      const jwe = await createTestIssuer({ keys: 'shared', opaqueTokenFormat: 'jwe' });
      try {
        const token = await jwe.issueToken();
        const segments = token.split('.');
        expect(segments).toHaveLength(5);
        expect(JSON.parse(Buffer.from(segments[0] ?? '', 'base64url').toString('utf8'))).toEqual({
          alg: 'A256GCMKW',
          enc: 'A256GCM',
          iv: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
          tag: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        });
        const response = await fetch(jwe.introspectionEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(jwe.introspectionClient.clientId, jwe.introspectionClient.clientSecret) },
          body: new URLSearchParams({ token }).toString(),
        });
        expect(((await response.json()) as Record<string, unknown>)['active']).toBe(true);
        expect(jwe.mintOpaque().split('.')).toHaveLength(5);
      } finally {
        await jwe.close();
      }
    });
  });

  describe('personal access tokens', () => {
    it('are 71 base64url characters and introspect with the API client (and project) as aud and no client_id', async () => {
      const pat = issuer.createPersonalAccessToken();
      expect(pat).toMatch(/^[A-Za-z0-9_-]{71}$/);
      const answer = await introspect(issuer, pat);
      const roles = { 'orders.read': { [ORG]: ORG_DOMAIN }, 'orders.write': { [ORG]: ORG_DOMAIN, [GLOBEX]: 'org-100000000000000002.test-issuer.localhost' } };
      // access_token.go assertClientScopesForPAT; internal/api/grpc/user/v2/pat.go static PAT scopes.
      expect(answer).toEqual({
        active: true,
        scope: [
          'openid',
          'profile',
          'urn:zitadel:iam:user:metadata',
          'urn:zitadel:iam:user:resourceowner',
          'urn:zitadel:iam:org:project:role:orders.read',
          'urn:zitadel:iam:org:project:role:orders.write',
          'urn:zitadel:iam:org:project:role:orders.admin',
        ].join(' '),
        token_type: 'Bearer',
        exp: 253_402_300_799,
        iat: IAT,
        nbf: IAT,
        sub: '200000000000000001',
        aud: [API_CLIENT.clientId, PROJECT],
        iss: issuer.issuer,
        jti: expect.stringMatching(/^\d{18}$/),
        username: 'service-user-client',
        name: 'service-user-client',
        preferred_username: 'service-user-client',
        updated_at: expect.any(Number),
        'urn:zitadel:iam:user:resourceowner:id': ORG,
        'urn:zitadel:iam:user:resourceowner:name': 'Test Organization',
        'urn:zitadel:iam:user:resourceowner:primary_domain': ORG_DOMAIN,
        'urn:zitadel:iam:org:project:roles': roles,
        [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: roles,
      });
      expect(answer).not.toHaveProperty('client_id');
    });

    it('introspect with aud = [API client id] only under patAudience: \'client\' (older ZITADEL releases)', async () => {
      const older = await createTestIssuer({ keys: 'shared', patAudience: 'client' });
      try {
        const pat = older.createPersonalAccessToken({ expiresIn: 60 });
        const response = await fetch(older.introspectionEndpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(older.introspectionClient.clientId, older.introspectionClient.clientSecret) },
          body: new URLSearchParams({ token: pat }).toString(),
        });
        const answer = (await response.json()) as Record<string, unknown>;
        expect(answer['aud']).toEqual(['test-api-client']);
        expect(answer['exp']).toBe((answer['iat'] as number) + 60);
      } finally {
        await older.close();
      }
    });
  });

  describe('keys and options', () => {
    it('reuses one generated key across issuers with keys: createTestKeys() or \'shared\'', async () => {
      const keys = await createTestKeys();
      const [a, b, c, d] = await Promise.all([
        createTestIssuer({ keys }),
        createTestIssuer({ keys }),
        createTestIssuer({ keys: 'shared' }),
        createTestIssuer({ keys: 'shared' }),
      ]);
      try {
        expect(a.currentKid).toBe(keys.kid);
        expect(b.currentKid).toBe(keys.kid);
        expect(c.currentKid).toBe(d.currentKid);
        expect(c.currentKid).not.toBe(keys.kid);
        // A rotation is the issuer's own.
        await a.rotateKeys();
        expect(a.currentKid).not.toBe(keys.kid);
        expect(b.currentKid).toBe(keys.kid);
        const token = await b.mintJwt();
        await expect(jwtVerify(token, createRemoteJWKSet(new URL(b.jwksUri)))).resolves.toBeDefined();
      } finally {
        await Promise.all([a, b, c, d].map((x) => x.close()));
      }
    });

    it('answers for foreign audiences only when asked for that non-ZITADEL shape (issuer-wide or per token)', async () => {
      const generic = await createTestIssuer({ keys: 'shared', introspectionAudienceCheck: false });
      try {
        const auth = basic(generic.introspectionClient.clientId, generic.introspectionClient.clientSecret);
        const answer = async (token: string): Promise<unknown> =>
          (await (await fetch(generic.introspectionEndpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
            body: new URLSearchParams({ token }).toString(),
          })).json() as Record<string, unknown>)['active'];
        expect(await answer(generic.mintOpaque({ aud: ['elsewhere'] }))).toBe(true);
        expect(await answer(generic.mintOpaque({ aud: ['elsewhere'] }, { introspectionAudienceCheck: true }))).toBe(false);
        expect(await answer(await generic.issueToken({ scope: 'openid' }))).toBe(true);
      } finally {
        await generic.close();
      }
      expect(await introspect(issuer, issuer.mintOpaque({ aud: ['elsewhere'] }))).toEqual({ active: false });
      expect((await introspect(issuer, issuer.mintOpaque({ aud: ['elsewhere'] }, { introspectionAudienceCheck: false })))['active']).toBe(true);
    });

    it('sends no JWKS Cache-Control with jwksCacheControl: null', async () => {
      const plain = await createTestIssuer({ keys: 'shared', jwksCacheControl: null });
      try {
        expect((await fetch(plain.jwksUri)).headers.get('cache-control')).toBeNull();
      } finally {
        await plain.close();
      }
    });

    it('refuses bad options and requests with a message naming them', async () => {
      await expect(createTestIssuer({ keys: {} as never })).rejects.toThrow('"keys" option');
      await expect(createTestIssuer({ keys: await createTestKeys('ES256'), alg: 'RS256' })).rejects.toThrow('"alg" option');
      await expect(createTestIssuer({ patAudience: 'project' as never })).rejects.toThrow('"patAudience" option');
      await expect(createTestIssuer({ opaqueTokenFormat: 'jwt' as never })).rejects.toThrow('"opaqueTokenFormat" option');
      await expect(createTestIssuer({ clientAuthErrors: 'loud' as never })).rejects.toThrow('"clientAuthErrors" option');
      await expect(createTestIssuer({ projectRoles: ['a b'] })).rejects.toThrow('"projectRoles" option');
      await expect(createTestIssuer({ jwksCacheControl: 'a\nb' })).rejects.toThrow('"jwksCacheControl" option');
      await expect(issuer.issueToken({ scope: [] })).rejects.toThrow('"scope" option');
      await expect(issuer.issueToken({ scope: ['two words'] })).rejects.toThrow('"scope" option');
      await expect(issuer.issueToken({ user: 'nobody' })).rejects.toThrow('unknown service user');
      await expect(issuer.issueToken({ grant: 'password' as never })).rejects.toThrow('"grant" option');
      expect(() => issuer.createServiceUser({ username: 'orders-reporter' })).toThrow('already exists');
      expect(() => issuer.setRoles('nobody', ['x'])).toThrow('unknown service user');
    });
  });
});
