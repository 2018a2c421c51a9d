import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { resolveResourceMetadata } from '../../lib/core/resource-metadata.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get, send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

describe.each(APP_KINDS)('RFC 9728 protected-resource metadata on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  const resource = 'https://orders.acme.test/api';
  const metadataUrl = 'https://orders.acme.test/.well-known/oauth-protected-resource/api';

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = await startApp(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      resourceMetadata: { resource, scopesSupported: ['orders:read'], resourceName: 'Orders API', resourceDocumentation: 'https://docs.acme.test/orders' },
    });
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('serves the document without a token, at the path RFC 9728 derives from the resource', async () => {
    const response = await get(`${app.url}/.well-known/oauth-protected-resource/api`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      resource,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['orders:read'],
      resource_name: 'Orders API',
      resource_documentation: 'https://docs.acme.test/orders',
    });
    // RFC 9728 §3.3: the resource in the document must be the identifier the URL was built from.
    expect((response.body as { resource: string }).resource).toBe(resource);
  });

  it('names the metadata in every challenge', async () => {
    const missing = await get(`${app.url}/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe(`Bearer realm="api", resource_metadata="${metadataUrl}"`);
    const invalid = await get(`${app.url}/me`, await issuer.mintJwt({}, { expiresIn: -60 }));
    expect(invalid.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="invalid_token", error_description="The token has expired", resource_metadata="${metadataUrl}"`,
    );
    const forbidden = await get(`${app.url}/orders`, await issuer.mintJwt({ scope: 'openid' }));
    expect(forbidden.headers['www-authenticate']).toContain(`scope="orders:read", resource_metadata="${metadataUrl}"`);
    const bad = await send(`${app.url}/me`, { headers: [['authorization', 'Bearer a b']] });
    expect(bad.headers['www-authenticate']).toContain(`resource_metadata="${metadataUrl}"`);
  });
});

describe('resolveResourceMetadata', () => {
  it('inserts the well-known segment between host and path', () => {
    expect(resolveResourceMetadata({ resource: 'https://api.example.com' }, ['https://idp.example.com'], ['header']).url).toBe(
      'https://api.example.com/.well-known/oauth-protected-resource',
    );
    expect(resolveResourceMetadata({ resource: 'https://api.example.com/v1/' }, ['https://idp.example.com'], ['header']).path).toBe(
      '/.well-known/oauth-protected-resource/v1',
    );
  });

  it.each([
    [{ resource: 'http://api.example.com' }, 'https:'],
    [{ resource: 'https://api.example.com/?x=1' }, 'no query or fragment'],
    [{ resource: 'https://api.example.com', authorizationServers: [] }, 'authorizationServers'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveResourceMetadata(options, ['https://idp.example.com'], ['header'])).toThrow(message);
  });
});
