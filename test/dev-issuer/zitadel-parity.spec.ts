/**
 * The sample's dev issuer (oidc-provider) and `zitadel-resource-server/testing` emulate the
 * same ZITADEL: for the same service-user request they emit tokens and introspection answers
 * of the same shape — the same claim names, the same id formats, the same audiences.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { zitadelScopes } from '../../lib/client/index.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer, TestServiceUser } from '../../lib/testing/index.js';
import { DEV_PROJECT, startDevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import type { DevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import { devIssuerKeys, testKeys } from '../support/test-keys.js';

type Json = Record<string, unknown>;

const SCOPE = zitadelScopes.apiAccess(DEV_PROJECT.projectId);

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function post(url: string, form: Record<string, string>, authorization?: string): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization) headers['authorization'] = authorization;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A value's kind, so that two issuers' answers compare by shape rather than by value. */
function kindOf(name: string, value: unknown): unknown {
  if (name === 'jti' && typeof value === 'string') {
    if (/^V2_\d{18}-at_\d{18}$/.test(value)) return 'V2_<id>-at_<id>';
    if (/^\d{18}$/.test(value)) return '<id>';
  }
  if (Array.isArray(value)) return value.map((entry) => kindOf('', entry));
  if (name.endsWith(':roles') && typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([role, orgs]) => [role, Object.keys(orgs as object).length]));
  }
  return typeof value;
}

function shape(claims: Json): Json {
  return Object.fromEntries(Object.keys(claims).sort().map((name) => [name, kindOf(name, claims[name])]));
}

describe('dev issuer and test issuer emit the same ZITADEL shapes', () => {
  let dev: DevIssuer;
  let test: TestIssuer;
  let batch: TestServiceUser;
  let reporter: TestServiceUser;

  beforeAll(async () => {
    dev = await startDevIssuer({ keys: devIssuerKeys() });
    test = await createTestIssuer({
      keys: await testKeys(),
      projectId: DEV_PROJECT.projectId,
      projectRoles: [...DEV_PROJECT.roles],
      introspectionClient: { clientId: dev.api.clientId, clientSecret: dev.api.clientSecret },
    });
    // The dev issuer's users, organization and grants.
    const [acme] = DEV_PROJECT.organizations;
    const organization = { id: acme.id, name: acme.name, primaryDomain: acme.domain };
    const { jwtProfileUser, clientCredentialsUser } = DEV_PROJECT;
    batch = test.createServiceUser({ ...jwtProfileUser, organization, roles: ['orders.read', 'orders.write'] });
    reporter = test.createServiceUser({ ...clientCredentialsUser, organization, roles: ['orders.read'] });
  });

  afterAll(async () => {
    await dev.close();
    await test.close();
  });

  async function devJwtProfile(scope: readonly string[]): Promise<string> {
    const { keyFile } = dev.serviceUsers.jwtProfile;
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: keyFile.keyId })
      .setIssuer(keyFile.userId)
      .setSubject(keyFile.userId)
      .setAudience(dev.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti(randomUUID())
      .sign(createPrivateKey(keyFile.key));
    const { body } = await post(`${dev.issuer}/oauth/v2/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, scope: scope.join(' ') });
    return body['access_token'] as string;
  }

  async function devClientCredentials(scope: readonly string[]): Promise<string> {
    const { clientId, clientSecret } = dev.serviceUsers.clientCredentials;
    const { body } = await post(`${dev.issuer}/oauth/v2/token`, { grant_type: 'client_credentials', scope: scope.join(' ') }, basic(clientId, clientSecret));
    return body['access_token'] as string;
  }

  async function introspect(issuer: string, token: string): Promise<Json> {
    const { status, body } = await post(`${issuer}/oauth/v2/introspect`, { token }, basic(dev.api.clientId, dev.api.clientSecret));
    expect(status).toBe(200);
    return body;
  }

  it.each([
    ['the audience scope only', ['openid', zitadelScopes.projectAudience(DEV_PROJECT.projectId)]],
    ['audience, roles and organization', SCOPE],
  ])('JWT of the JWT profile grant (%s): same header, claims and values', async (_label, scope) => {
    dev.setAccessTokenType(dev.serviceUsers.jwtProfile.userId, 'jwt');
    try {
      const fromDev = await devJwtProfile(scope);
      const fromTest = await test.issueToken({ user: batch, accessTokenType: 'jwt', scope });
      expect(Object.keys(decodeProtectedHeader(fromDev)).sort()).toEqual(Object.keys(decodeProtectedHeader(fromTest)).sort());
      const devClaims = decodeJwt(fromDev);
      const testClaims = decodeJwt(fromTest);
      expect(shape(devClaims)).toEqual(shape(testClaims));
      expect(devClaims.aud).toEqual(testClaims.aud);
      expect(devClaims['client_id']).toEqual(testClaims['client_id']);
      expect((devClaims.exp ?? 0) - (devClaims.iat ?? 0)).toBe((testClaims.exp ?? 0) - (testClaims.iat ?? 0));
    } finally {
      dev.setAccessTokenType(dev.serviceUsers.jwtProfile.userId, 'opaque');
    }
  });

  it('opaque client-credentials token: same length, same introspection answer shape', async () => {
    const fromDev = await devClientCredentials(SCOPE);
    const fromTest = await test.issueToken({ user: reporter, grant: 'client_credentials', scope: SCOPE });
    expect(fromDev).toHaveLength(fromTest.length);
    const devAnswer = await introspect(dev.issuer, fromDev);
    const testAnswer = await introspect(test.issuer, fromTest);
    expect(shape(devAnswer)).toEqual(shape(testAnswer));
    for (const name of ['active', 'scope', 'client_id', 'aud', 'amr', 'token_type']) expect(devAnswer[name]).toEqual(testAnswer[name]);
  });

  it('personal access token: canonical base64url of about the same length, same introspection answer shape (aud = API client and project, no client_id)', async () => {
    const fromDev = await dev.createPersonalAccessToken(DEV_PROJECT.clientCredentialsUser.userId);
    const fromTest = test.createPersonalAccessToken({ user: reporter });
    // 71 characters in ZITADEL; oidc-provider can only draw a canonical 72 (see dev-issuer.ts).
    expect(fromDev).toHaveLength(fromTest.length + 1);
    for (const token of [fromDev, fromTest]) expect(Buffer.from(token, 'base64url').toString('base64url')).toBe(token);
    const devAnswer = await introspect(dev.issuer, fromDev);
    const testAnswer = await introspect(test.issuer, fromTest);
    expect(shape(devAnswer)).toEqual(shape(testAnswer));
    for (const name of ['scope', 'aud', 'username', `urn:zitadel:iam:org:project:${DEV_PROJECT.projectId}:roles`]) {
      expect(devAnswer[name]).toEqual(testAnswer[name]);
    }
  });

  it('refused API credentials: the same 400 unauthorized_client', async () => {
    const token = await devClientCredentials(SCOPE);
    const fromDev = await post(`${dev.issuer}/oauth/v2/introspect`, { token }, basic(dev.api.clientId, 'wrong'));
    const fromTest = await post(`${test.issuer}/oauth/v2/introspect`, { token }, basic(dev.api.clientId, 'wrong'));
    expect(fromDev).toEqual({ status: 400, body: { error: 'unauthorized_client' } });
    expect(fromTest).toEqual(fromDev);
  });

  it('JWKS: the same Cache-Control', async () => {
    const devKeys = await fetch(`${dev.issuer}/oauth/v2/keys`);
    const testKeys = await fetch(test.jwksUri);
    expect(devKeys.headers.get('cache-control')).toBe('max-age=300, must-revalidate');
    expect(testKeys.headers.get('cache-control')).toBe(devKeys.headers.get('cache-control'));
  });
});
