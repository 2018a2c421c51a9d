import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';

import { zitadelScopes } from '../../lib/client/index.js';
import { DEV_PROJECT, startDevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import type { DevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import { devIssuerKeys, testIssuerRsaKey } from '../support/test-keys.js';

const ORG_1 = '100000000000000001';
const ORG_2 = '100000000000000002';
const ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
const OWNER_CLAIM = 'urn:zitadel:iam:user:resourceowner:id';

type Json = Record<string, unknown>;

interface FormResponse {
  status: number;
  headers: Headers;
  body: Json;
}

let idp: DevIssuer;

// In a describe, so that these hooks serve this file's tests only (see test/support/specs.ts).
describe("the sample app's dev issuer", () => {
  beforeAll(async () => {
    idp = await startDevIssuer({ keys: devIssuerKeys() });
  });

  afterAll(async () => {
    await idp.close();
  });

  function projectClaim(): string {
    return `urn:zitadel:iam:org:project:${idp.projectId}:roles`;
  }

  function audScope(): string {
    return `openid urn:zitadel:iam:org:project:id:${idp.projectId}:aud`;
  }

  /** What the sample's demo client asks for: audience, roles and organization. */
  function apiScope(): string {
    return zitadelScopes.apiAccess(idp.projectId).join(' ');
  }

  function basic(clientId: string, secret: string): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }

  async function postForm(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<FormResponse> {
    const res = await fetch(`${idp.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(form),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
  }

  async function assertionFor(
    key: { keyId: string; key: string },
    issuerAndSubject: string,
    overrides: { audience?: string; kid?: string } = {},
  ): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: overrides.kid ?? key.keyId })
      .setIssuer(issuerAndSubject)
      .setSubject(issuerAndSubject)
      .setAudience(overrides.audience ?? idp.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(createPrivateKey(key.key));
  }

  async function jwtProfileToken(scope = audScope()): Promise<string> {
    const { keyFile, userId } = idp.serviceUsers.jwtProfile;
    const res = await postForm('/oauth/v2/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: await assertionFor(keyFile, userId),
      scope,
    });
    expect(res.status).toBe(200);
    expect(res.body['token_type']).toBe('Bearer');
    return res.body['access_token'] as string;
  }

  async function clientCredentialsToken(scope = audScope()): Promise<string> {
    const { clientId, clientSecret } = idp.serviceUsers.clientCredentials;
    const res = await postForm('/oauth/v2/token', { grant_type: 'client_credentials', scope }, { authorization: basic(clientId, clientSecret) });
    expect(res.status).toBe(200);
    expect(res.body['token_type']).toBe('Bearer');
    return res.body['access_token'] as string;
  }

  async function introspectBasic(token: string): Promise<FormResponse> {
    return postForm('/oauth/v2/introspect', { token }, { authorization: basic(idp.api.clientId, idp.api.clientSecret) });
  }

  async function introspectPrivateKeyJwt(token: string, assertion?: string): Promise<FormResponse> {
    return postForm('/oauth/v2/introspect', {
      token,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion ?? (await assertionFor(idp.api.keyFile, idp.api.clientId)),
    });
  }

  async function revoke(token: string, authorization: string): Promise<FormResponse> {
    return postForm('/oauth/v2/revoke', { token }, { authorization });
  }

  /** ZITADEL's introspection answer for an OIDC session token (internal/api/oidc/introspect.go). */
  function expectActiveShape(body: Json, expected: { sub: string; clientId: string; organization: boolean }): void {
    expect(body['active']).toBe(true);
    expect(body['sub']).toBe(expected.sub);
    expect(body['client_id']).toBe(expected.clientId);
    expect(body['token_type']).toBe('Bearer');
    expect(body['iss']).toBe(idp.issuer);
    expect(typeof body['scope']).toBe('string');
    expect(body['aud']).toEqual([idp.projectId]);
    expect(body['jti']).toMatch(/^V2_\d{18}-at_\d{18}$/);
    expect(typeof body['exp']).toBe('number');
    expect(typeof body['iat']).toBe('number');
    expect(body['nbf']).toBe(body['iat']);
    expect(body['auth_time']).toBe(body['iat']);
    expect(body['exp'] as number).toBeGreaterThan(body['iat'] as number);
    if (expected.organization) {
      expect(body).toMatchObject({ [OWNER_CLAIM]: ORG_1, [`${OWNER_CLAIM.slice(0, -3)}:name`]: 'ACME', [`${OWNER_CLAIM.slice(0, -3)}:primary_domain`]: 'acme.localhost' });
    } else {
      expect(Object.keys(body).filter((name) => name.includes('resourceowner'))).toEqual([]);
    }
  }

  describe('startDevIssuer', () => {
    it('listens on 127.0.0.1 and serves ZITADEL-shaped discovery and a JWKS', async () => {
      expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const before = { ...idp.requests };

      const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Json;
      expect(discovery).toMatchObject({
        issuer: idp.issuer,
        token_endpoint: `${idp.issuer}/oauth/v2/token`,
        jwks_uri: `${idp.issuer}/oauth/v2/keys`,
        introspection_endpoint: `${idp.issuer}/oauth/v2/introspect`,
        revocation_endpoint: `${idp.issuer}/oauth/v2/revoke`,
      });
      expect(discovery['grant_types_supported']).toEqual(
        expect.arrayContaining(['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer']),
      );

      const jwks = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: Json[] };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
      // internal/api/oidc/key.go Keys: ZITADEL's default JWKS caching.
      expect((await fetch(`${idp.issuer}/oauth/v2/keys`)).headers.get('cache-control')).toBe('max-age=300, must-revalidate');

      expect((await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).status).toBe(404);
      expect(idp.requests.discovery).toBe(before.discovery + 1);
      expect(idp.requests.keys).toBe(before.keys + 2);
    });

    it('hands out ZITADEL key files with PKCS#1 keys', () => {
      expect(idp.api.clientId).toContain('@');
      expect(idp.api.keyFile).toMatchObject({ type: 'application', clientId: idp.api.clientId });
      expect(idp.api.keyFile.key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      const { keyFile, userId } = idp.serviceUsers.jwtProfile;
      expect(keyFile).toMatchObject({ type: 'serviceaccount', userId });
      expect(keyFile.key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    });

    it('uses the keys it is given (keys option): the JWKS publishes the signing key, the key files hold the others', async () => {
      const keys = devIssuerKeys();
      const jwks = (await (await fetch(`${idp.issuer}/oauth/v2/keys`)).json()) as { keys: { n?: string }[] };
      expect(jwks.keys.map((key) => key.n)).toEqual([(keys.signing.export({ format: 'jwk' }) as { n: string }).n]);
      expect(createPrivateKey(idp.api.keyFile.key).equals(keys.api)).toBe(true);
      expect(createPrivateKey(idp.serviceUsers.jwtProfile.keyFile.key).equals(keys.serviceUser)).toBe(true);
      await expect(startDevIssuer({ keys: { ...keys, api: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey } })).rejects.toThrow('"keys" option');
      await expect(startDevIssuer({ keys: { ...keys, signing: createPublicKey(keys.signing) } })).rejects.toThrow('"keys" option');
    });

    describe('JWT profile grant', () => {
      const batch = DEV_PROJECT.jwtProfileUser.username;

      it('issues an opaque token by default (104 characters) that introspects with the ZITADEL shape', async () => {
        const { userId } = idp.serviceUsers.jwtProfile;
        const token = await jwtProfileToken();
        expect(token).toMatch(/^[A-Za-z0-9_-]{104}$/);

        const res = await introspectBasic(token);
        expect(res.status).toBe(200);
        expectActiveShape(res.body, { sub: userId, clientId: batch, organization: false });
        expect(res.body['scope']).toBe(audScope());
        expect(res.body['jti']).not.toBe(token);
        expect(res.body).not.toHaveProperty('amr');
        // Introspection asserts the API project's roles under both names (userinfo.go, currentProjectOnly).
        const roles = { 'orders.read': { [ORG_1]: 'acme.localhost' }, 'orders.write': { [ORG_1]: 'acme.localhost' } };
        expect(res.body[ROLES_CLAIM]).toEqual(roles);
        expect(res.body[projectClaim()]).toEqual(roles);
      });

      it('issues a ZITADEL JWT access token when the user is switched to JWT: roles and organization only with their scopes', async () => {
        const { userId } = idp.serviceUsers.jwtProfile;
        idp.setAccessTokenType(userId, 'jwt');
        try {
          const token = await jwtProfileToken(apiScope());
          expect(token.split('.')).toHaveLength(3);

          const header = decodeProtectedHeader(token);
          expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
          expect(typeof header.kid).toBe('string');

          const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));
          const { payload } = await jwtVerify(token, jwks, {
            issuer: idp.issuer,
            audience: idp.projectId,
            typ: 'JWT',
            requiredClaims: ['exp', 'iat', 'nbf', 'jti', 'sub', 'client_id'],
          });
          expect(payload).toEqual({
            iss: idp.issuer,
            sub: userId,
            aud: [idp.projectId],
            exp: expect.any(Number),
            iat: expect.any(Number),
            nbf: payload.iat,
            client_id: batch,
            jti: expect.stringMatching(/^V2_\d{18}-at_\d{18}$/),
            [OWNER_CLAIM]: ORG_1,
            'urn:zitadel:iam:user:resourceowner:name': 'ACME',
            'urn:zitadel:iam:user:resourceowner:primary_domain': 'acme.localhost',
            // userinfo.go setUserInfoRoleClaims: only the project-specific claim in a service user's JWT.
            [projectClaim()]: { 'orders.read': { [ORG_1]: 'acme.localhost' }, 'orders.write': { [ORG_1]: 'acme.localhost' } },
          });

          // The audience scope alone: no roles, no organization.
          const bare = decodeJwt(await jwtProfileToken());
          expect(Object.keys(bare).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub']);

          // ZITADEL also introspects its JWT access tokens (this is where a JWT's scopes come from).
          const res = await introspectBasic(token);
          expectActiveShape(res.body, { sub: userId, clientId: batch, organization: true });
          expect(res.body['jti']).toBe(payload.jti);
          expect(res.body['scope']).toBe(apiScope());
        } finally {
          idp.setAccessTokenType(userId, 'opaque');
        }
      });

      it('rejects an assertion signed with another key, for another audience or with an unknown kid', async () => {
        const { keyFile, userId } = idp.serviceUsers.jwtProfile;
        const other = testIssuerRsaKey().privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
        const assertions = [
          await assertionFor({ keyId: keyFile.keyId, key: other }, userId),
          await assertionFor(keyFile, userId, { audience: 'https://elsewhere.example' }),
          await assertionFor(keyFile, userId, { kid: '999' }),
        ];
        for (const assertion of assertions) {
          const res = await postForm('/oauth/v2/token', {
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion,
            scope: audScope(),
          });
          expect(res.status).toBe(400);
          expect(res.body['error']).toBe('invalid_grant');
        }
      });

      it('without the project audience scope, the token is not for the API and introspects inactive', async () => {
        const token = await jwtProfileToken('openid');
        const res = await introspectBasic(token);
        expect(res.body).toEqual({ active: false });
      });
    });

    describe('client credentials grant', () => {
      it('issues an opaque token with sub = user id, client_id = username and amr pwd', async () => {
        const { userId, clientId } = idp.serviceUsers.clientCredentials;
        const token = await clientCredentialsToken(apiScope());
        expect(token).toMatch(/^[A-Za-z0-9_-]{104}$/);

        const res = await introspectBasic(token);
        expectActiveShape(res.body, { sub: userId, clientId, organization: true });
        expect(res.body['amr']).toEqual(['pwd']);
        expect(res.body[ROLES_CLAIM]).toEqual({ 'orders.read': { [ORG_1]: 'acme.localhost' } });
        expect(res.body[projectClaim()]).toEqual({ 'orders.read': { [ORG_1]: 'acme.localhost' } });
      });

      it('issues a JWT when the user is switched to JWT', async () => {
        const { userId, clientId } = idp.serviceUsers.clientCredentials;
        idp.setAccessTokenType(userId, 'jwt');
        try {
          const token = await clientCredentialsToken(apiScope());
          const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/oauth/v2/keys`));
          const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: idp.issuer, audience: idp.projectId });
          expect(protectedHeader.typ).toBe('JWT');
          expect(payload.sub).toBe(userId);
          expect(payload['client_id']).toBe(clientId);
          expect(payload).not.toHaveProperty('scope');
          expect(payload).not.toHaveProperty(ROLES_CLAIM);
          expect(payload[projectClaim()]).toEqual({ 'orders.read': { [ORG_1]: 'acme.localhost' } });
        } finally {
          idp.setAccessTokenType(userId, 'opaque');
        }
      });

      it('refuses a wrong client secret', async () => {
        const { clientId } = idp.serviceUsers.clientCredentials;
        const res = await postForm('/oauth/v2/token', { grant_type: 'client_credentials', scope: audScope() }, { authorization: basic(clientId, 'nope') });
        expect(res.status).toBe(401);
        expect(res.body['error']).toBe('invalid_client');
      });
    });

    describe('introspection client authentication', () => {
      it('accepts private_key_jwt with a ZITADEL assertion (no jti) and answers the same shape', async () => {
        const token = await clientCredentialsToken();
        const res = await introspectPrivateKeyJwt(token);
        expect(res.status).toBe(200);
        expectActiveShape(res.body, { sub: idp.serviceUsers.clientCredentials.userId, clientId: idp.serviceUsers.clientCredentials.clientId, organization: false });
      });

      it('sends the client id url-encoded in Basic (%40), as ZITADEL expects', async () => {
        const raw = `Basic ${Buffer.from(`${encodeURIComponent(idp.api.clientId)}:${idp.api.clientSecret}`).toString('base64')}`;
        expect(Buffer.from(raw.slice(6), 'base64').toString()).toContain('%40');
        const res = await postForm('/oauth/v2/introspect', { token: await clientCredentialsToken() }, { authorization: raw });
        expect(res.body['active']).toBe(true);
      });

      it('answers 400 unauthorized_client, as ZITADEL does, to a wrong secret, an unknown client or a bad assertion', async () => {
        const token = await clientCredentialsToken();
        const wrongSecret = await postForm('/oauth/v2/introspect', { token }, { authorization: basic(idp.api.clientId, 'wrong') });
        expect(wrongSecret.status).toBe(400);
        expect(wrongSecret.body).toEqual({ error: 'unauthorized_client' });
        expect(wrongSecret.headers.get('www-authenticate')).toBeNull();

        const other = testIssuerRsaKey().privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
        const forged = await assertionFor({ keyId: idp.api.keyFile.keyId, key: other }, idp.api.clientId);
        const badAssertion = await introspectPrivateKeyJwt(token, forged);
        expect(badAssertion.status).toBe(400);
        expect(badAssertion.body).toEqual({ error: 'unauthorized_client' });

        const unknown = await postForm('/oauth/v2/introspect', { token }, { authorization: basic('nobody@demo', 'x') });
        expect(unknown.status).toBe(400);
        expect(unknown.body).toEqual({ error: 'unauthorized_client' });
      });

      it('answers {active:false} for an unknown token', async () => {
        expect((await introspectBasic('not-a-token')).body).toEqual({ active: false });
        expect((await introspectPrivateKeyJwt('not-a-token')).body).toEqual({ active: false });
      });
    });

    describe('personal access tokens', () => {
      it('are opaque and introspect with every project role in scope but only granted roles in the claims', async () => {
        const { userId } = idp.serviceUsers.jwtProfile;
        const pat = await idp.createPersonalAccessToken(userId);
        // Canonical base64url (ZITADEL's PATs are; the resource server refuses other spellings).
        expect(pat).toMatch(/^[A-Za-z0-9_-]{72}$/);
        expect(Buffer.from(pat, 'base64url').toString('base64url')).toBe(pat);

        const res = await introspectBasic(pat);
        expect(res.body['active']).toBe(true);
        expect(res.body['sub']).toBe(userId);
        // access_token.go assertClientScopesForPAT: no stored audience, no client.
        expect(res.body['aud']).toEqual([idp.api.clientId, idp.projectId]);
        expect(res.body).not.toHaveProperty('client_id');
        expect(res.body['jti']).toMatch(/^\d{18}$/);
        expect(res.body[OWNER_CLAIM]).toBe(ORG_1);
        const scopes = String(res.body['scope']).split(' ');
        expect(scopes).toEqual(
          expect.arrayContaining([
            'urn:zitadel:iam:org:project:role:orders.read',
            'urn:zitadel:iam:org:project:role:orders.write',
            'urn:zitadel:iam:org:project:role:orders.admin',
          ]),
        );
        expect(res.body[projectClaim()]).toEqual({
          'orders.read': { [ORG_1]: 'acme.localhost' },
          'orders.write': { [ORG_1]: 'acme.localhost' },
        });
        expect(res.body[projectClaim()]).not.toHaveProperty('orders.admin');
        expect(res.body['exp'] as number).toBeGreaterThan(Date.now() / 1000 + 365 * 24 * 3600);
      });

      it('honour expiresInSeconds', async () => {
        const pat = await idp.createPersonalAccessToken(idp.serviceUsers.clientCredentials.userId, { expiresInSeconds: 60 });
        const res = await introspectBasic(pat);
        expect(res.body['active']).toBe(true);
        expect(res.body['exp'] as number).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
      });
    });

    describe('revocation', () => {
      it('revokes an opaque token (by its own client); introspection then says inactive', async () => {
        const { clientId, clientSecret } = idp.serviceUsers.clientCredentials;
        const token = await clientCredentialsToken();
        expect((await introspectBasic(token)).body['active']).toBe(true);
        const res = await revoke(token, basic(clientId, clientSecret));
        expect(res.status).toBe(200);
        expect((await introspectBasic(token)).body).toEqual({ active: false });
      });

      it('revokes a PAT and a JWT access token (by the API client)', async () => {
        const apiAuth = basic(idp.api.clientId, idp.api.clientSecret);
        const pat = await idp.createPersonalAccessToken(idp.serviceUsers.jwtProfile.userId);
        expect((await revoke(pat, apiAuth)).status).toBe(200);
        expect((await introspectBasic(pat)).body).toEqual({ active: false });

        const { userId } = idp.serviceUsers.jwtProfile;
        idp.setAccessTokenType(userId, 'jwt');
        try {
          const jwt = await jwtProfileToken();
          expect((await introspectBasic(jwt)).body['active']).toBe(true);
          expect((await revoke(jwt, apiAuth)).status).toBe(200);
          expect((await introspectBasic(jwt)).body).toEqual({ active: false });
        } finally {
          idp.setAccessTokenType(userId, 'opaque');
        }
      });
    });

    describe('roles', () => {
      it('setRoles shows in the very next introspection', async () => {
        const { userId } = idp.serviceUsers.clientCredentials;
        const token = await clientCredentialsToken();
        try {
          idp.setRoles(userId, { 'orders.admin': [ORG_1, ORG_2], 'orders.read': [] });
          const granted = await introspectBasic(token);
          expect(granted.body[projectClaim()]).toEqual({
            'orders.admin': { [ORG_1]: 'acme.localhost', [ORG_2]: 'globex.localhost' },
          });

          idp.setRoles(userId, {});
          const none = await introspectBasic(token);
          expect(none.body['active']).toBe(true);
          expect(none.body).not.toHaveProperty(projectClaim());
          expect(none.body).not.toHaveProperty(ROLES_CLAIM);
        } finally {
          idp.setRoles(userId, { 'orders.read': [ORG_1] });
        }
      });

      it('refuses unknown roles, orgs and users', () => {
        const { userId } = idp.serviceUsers.clientCredentials;
        expect(() => idp.setRoles(userId, { 'orders.delete': [ORG_1] })).toThrow(TypeError);
        expect(() => idp.setRoles(userId, { 'orders.read': ['123'] })).toThrow(TypeError);
        expect(() => idp.setRoles('404', { 'orders.read': [ORG_1] })).toThrow(TypeError);
        expect(() => idp.setAccessTokenType('404', 'jwt')).toThrow(TypeError);
      });
    });

    it('counts requests per endpoint', async () => {
      const before = { ...idp.requests };
      const token = await clientCredentialsToken();
      await introspectBasic(token);
      await revoke(token, basic(idp.serviceUsers.clientCredentials.clientId, idp.serviceUsers.clientCredentials.clientSecret));
      expect(idp.requests).toEqual({
        ...before,
        token: before.token + 1,
        introspect: before.introspect + 1,
        revoke: before.revoke + 1,
      });
    });
  });

  describe('close()', () => {
    it('stops listening, and two issuers do not share state', async () => {
      // The same keys: what must not be shared is the state (tokens, PATs).
      const first = await startDevIssuer({ keys: devIssuerKeys() });
      const second = await startDevIssuer({ keys: devIssuerKeys() });
      try {
        expect(first.issuer).not.toBe(second.issuer);
        const pat = await first.createPersonalAccessToken(first.serviceUsers.jwtProfile.userId);
        const res = await fetch(`${second.issuer}/oauth/v2/introspect`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(second.api.clientId, second.api.clientSecret),
          },
          body: new URLSearchParams({ token: pat }),
        });
        expect(await res.json()).toEqual({ active: false });
      } finally {
        await first.close();
        await second.close();
      }
      await expect(fetch(`${first.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
    });
  });
});
