/**
 * A ZITADEL instance as the README's "Setting up ZITADEL" describes it, played by the
 * ZITADEL-exact test issuer: one project with roles, an API application (Basic and Private
 * Key JWT), a service user with roles in its own organization, and the resource server
 * options the README gives.
 */
import { zitadelScopes } from '../../lib/client/index.js';
import type { ApplicationKeyFile } from '../../lib/core/introspection/key-file.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer, TestIssuerOptions, TestServiceUser } from '../../lib/testing/index.js';
import { otherRsaKey, testKeys } from '../support/test-keys.js';
import type { RsaKeyPair } from '../support/test-keys.js';

export const PROJECT_ID = '294800000000000001';
export const API_APP_ID = '294800000000000002';
export const API_CLIENT_ID = '294800000000000002@orders';
export const API_CLIENT_SECRET = 'orders-api-secret';
export const ORG = '100000000000000001';
export const OTHER_PROJECT_ID = '294800000000000099';

/** The three ways a service user authenticates (README "Setting up ZITADEL"). */
export type ServiceUserMethod = 'jwt profile (JWT)' | 'client credentials (opaque)' | 'personal access token';
export const METHODS: readonly ServiceUserMethod[] = ['jwt profile (JWT)', 'client credentials (opaque)', 'personal access token'];

/** The scope the README tells service users to ask for. */
export const SCOPE = zitadelScopes.apiAccess(PROJECT_ID);

export interface ZitadelFixture {
  readonly issuer: TestIssuer;
  /** The service user: `orders.admin` and `orders.read` granted in its own organization. */
  readonly user: TestServiceUser;
  /** The API application's key file (Private Key JWT). */
  readonly keyFile: ApplicationKeyFile;
  /** A token of `method`, requested as the README says. */
  token(method: ServiceUserMethod): Promise<string>;
  /** The README's configuration: `audience: projectId`, `projectId`, introspection as the API application. */
  options(auth: 'client_secret_basic' | 'private_key_jwt', overrides?: Partial<ResourceServerOptions>): ResourceServerOptions;
  close(): Promise<void>;
}

let apiKey: RsaKeyPair | undefined;

/** Starts the instance; `issuerOptions` asks for a ZITADEL variant (e.g. an older release's PAT audience). */
export async function startZitadel(issuerOptions: TestIssuerOptions = {}): Promise<ZitadelFixture> {
  apiKey ??= otherRsaKey(0);
  const keyFile: ApplicationKeyFile = {
    type: 'application',
    keyId: '294800000000000003',
    key: apiKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    appId: API_APP_ID,
    clientId: API_CLIENT_ID,
  };
  const issuer = await createTestIssuer({
    keys: await testKeys(),
    projectId: PROJECT_ID,
    projectRoles: ['orders.read', 'orders.write', 'orders.admin'],
    introspectionClient: { clientId: API_CLIENT_ID, clientSecret: API_CLIENT_SECRET },
    introspectionClientKey: { clientId: API_CLIENT_ID, keyId: keyFile.keyId, publicKey: apiKey.publicKey },
    ...issuerOptions,
  });
  const user = issuer.createServiceUser({ username: 'orders-batch', roles: ['orders.admin', 'orders.read'] });
  return {
    issuer,
    user,
    keyFile,
    token: (method) => {
      switch (method) {
        case 'jwt profile (JWT)':
          return issuer.issueToken({ user, grant: 'jwt_profile', accessTokenType: 'jwt', scope: SCOPE });
        case 'client credentials (opaque)':
          return issuer.issueToken({ user, grant: 'client_credentials', accessTokenType: 'bearer', scope: SCOPE });
        case 'personal access token':
          return Promise.resolve(issuer.createPersonalAccessToken({ user }));
      }
    },
    options: (auth, overrides = {}) => ({
      issuer: issuer.issuer,
      audience: PROJECT_ID,
      projectId: PROJECT_ID,
      introspection: {
        auth: auth === 'client_secret_basic'
          ? { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: API_CLIENT_SECRET }
          : { type: 'private_key_jwt', keyFile },
      },
      logger: { warn: () => undefined, error: () => undefined },
      ...overrides,
    }),
    close: () => issuer.close(),
  };
}
