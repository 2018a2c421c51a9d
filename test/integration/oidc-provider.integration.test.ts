/**
 * Integration against a real authorization server: oidc-provider, in-process, configured
 * like ZITADEL (routes, JWT profile grant, client credentials, PATs, introspection with
 * client_secret_basic and private_key_jwt, revocation).
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { zitadelScopes } from '../../lib/client/index.js';
import { startDevIssuer, DEV_PROJECT } from '../../sample-app/src/dev-issuer/index.js';
import type { DevIssuer } from '../../sample-app/src/dev-issuer/index.js';
import type { IntrospectionOptions } from '../../lib/core/options.js';
import { startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';
import { devIssuerKeys } from '../support/test-keys.js';

const ACME = '100000000000000001';
// Audience, roles and organization: without the roles and resource-owner scopes ZITADEL's
// JWTs carry neither (internal/api/oidc/userinfo.go), and neither does the dev issuer's.
const audienceScope = zitadelScopes.apiAccess(DEV_PROJECT.projectId).join(' ');

async function tokenRequest(issuer: DevIssuer, form: Record<string, string>, basic?: [string, string]): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const response = await fetch(`${issuer.issuer}/oauth/v2/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function jwtProfileToken(issuer: DevIssuer): Promise<string> {
  const { keyFile } = issuer.serviceUsers.jwtProfile;
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: keyFile.keyId })
    .setIssuer(keyFile.userId)
    .setSubject(keyFile.userId)
    .setAudience(issuer.issuer)
    .setIssuedAt()
    .setExpirationTime('1m')
    .setJti(randomUUID())
    .sign(createPrivateKey(keyFile.key));
  return tokenRequest(issuer, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, scope: audienceScope });
}

async function clientCredentialsToken(issuer: DevIssuer): Promise<string> {
  const { clientId, clientSecret } = issuer.serviceUsers.clientCredentials;
  return tokenRequest(issuer, { grant_type: 'client_credentials', scope: audienceScope }, [clientId, clientSecret]);
}

async function revoke(issuer: DevIssuer, token: string): Promise<void> {
  const { clientId, clientSecret } = issuer.api;
  const response = await fetch(`${issuer.issuer}/oauth/v2/revoke`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  if (!response.ok) throw new Error(`revocation failed: ${response.status}`);
}

const KINDS: readonly AppKind[] = ['express', 'nest-express'];
const AUTHS = ['client_secret_basic', 'private_key_jwt'] as const;

describe.each(KINDS)('against oidc-provider configured like ZITADEL, on %s', (kind) => {
  let issuer: DevIssuer;
  let offset = 0;
  const now = () => Date.now() + offset;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    issuer = await startDevIssuer({ keys: devIssuerKeys() });
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await issuer.close();
  });
  beforeEach(() => {
    offset = 0;
  });

  async function app(auth: (typeof AUTHS)[number]): Promise<RunningApp> {
    const introspection: IntrospectionOptions =
      auth === 'client_secret_basic'
        ? { auth: { type: 'client_secret_basic', clientId: issuer.api.clientId, clientSecret: issuer.api.clientSecret } }
        : { auth: { type: 'private_key_jwt', keyFile: issuer.api.keyFile } };
    const running = await startApp(kind, {
      issuer: issuer.issuer,
      audience: [issuer.projectId, issuer.api.clientId],
      projectId: issuer.projectId,
      introspection,
      now,
      logger: { warn: () => undefined, error: () => undefined },
    });
    apps.push(running);
    return running;
  }

  it.each(AUTHS)('verifies a JWT access token from the JWT profile grant locally (%s configured)', async (auth) => {
    const running = await app(auth);
    issuer.setAccessTokenType(issuer.serviceUsers.jwtProfile.userId, 'jwt');
    const token = await jwtProfileToken(issuer);
    expect(token.split('.')).toHaveLength(3);
    const before = issuer.requests.introspect;
    const response = await get(`${running.url}/me`, token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ subject: issuer.serviceUsers.jwtProfile.userId, verifiedBy: 'jwks', tokenKind: 'jwt', organizationId: ACME });
    expect((response.body as { roles: Record<string, string[]> }).roles['orders.read']).toEqual([ACME]);
    expect(issuer.requests.introspect).toBe(before);
  });

  it.each(AUTHS)('introspects an opaque client-credentials token with %s', async (auth) => {
    const running = await app(auth);
    issuer.setAccessTokenType(issuer.serviceUsers.clientCredentials.userId, 'opaque');
    const token = await clientCredentialsToken(issuer);
    expect(token).not.toContain('.');
    const response = await get(`${running.url}/me`, token);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      subject: issuer.serviceUsers.clientCredentials.userId,
      verifiedBy: 'introspection',
      tokenKind: 'opaque',
      roles: { 'orders.read': [ACME] },
    });
    expect((await get(`${running.url}/admin`, token)).status).toBe(403);
  });

  it('takes a PAT role from the role claim, not from its scope', async () => {
    const running = await app('client_secret_basic');
    const pat = await issuer.createPersonalAccessToken(issuer.serviceUsers.clientCredentials.userId);
    expect((await get(`${running.url}/mine`, pat)).status).toBe(200);
    expect((await get(`${running.url}/admin`, pat)).status).toBe(403);
  });

  it('refuses a revoked opaque token once its cache entry expires, and at once on an active-token route', async () => {
    // client_secret_basic here: this test moves our clock 31 s ahead, and a client assertion
    // signed with that clock would (rightly) be refused by the issuer.
    const running = await app('client_secret_basic');
    issuer.setAccessTokenType(issuer.serviceUsers.clientCredentials.userId, 'opaque');
    const token = await clientCredentialsToken(issuer);
    expect((await get(`${running.url}/me`, token)).status).toBe(200);
    await revoke(issuer, token);
    offset += 1001;
    expect((await get(`${running.url}/me`, token)).status).toBe(200);
    expect((await get(`${running.url}/active`, token)).status).toBe(401);
    offset += 30_001;
    expect((await get(`${running.url}/me`, token)).status).toBe(401);
  });

  it('sees a removed role at once on an active-token route', async () => {
    const running = await app('client_secret_basic');
    const user = issuer.serviceUsers.clientCredentials.userId;
    issuer.setAccessTokenType(user, 'opaque');
    issuer.setRoles(user, { 'orders.read': [ACME] });
    const token = await clientCredentialsToken(issuer);
    expect((await get(`${running.url}/active`, token)).status).toBe(200);
    issuer.setRoles(user, {});
    offset += 1001;
    expect((await get(`${running.url}/active`, token)).status).toBe(403);
    issuer.setRoles(user, { 'orders.read': [ACME] });
  });
});
