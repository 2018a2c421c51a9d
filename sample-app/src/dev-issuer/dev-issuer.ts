import { createPublicKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

import Provider, { errors } from 'oidc-provider';
import type { Configuration, ResourceServerInfo, Token } from 'oidc-provider';

import { Directory, scopeSet } from './directory.js';
import type { Organization, ServiceUser } from './directory.js';
import { frontDoor } from './front-door.js';
import type { Endpoint } from './front-door.js';
import { zitadelIntrospection } from './introspection.js';
import { JWT_BEARER_GRANT, jwtProfileGrant } from './jwt-profile-grant.js';
import { generateRsaKey, randomSecret, signingJwk } from './keys.js';
import { MemoryStore } from './memory-adapter.js';
import { accountOf, JwtRegistry, mayIntrospect, PAT_GRANT, PAT_SCOPES, recordFromModel, sessionTokenId } from './token-records.js';

/** A ZITADEL API-application key file (`private_key_jwt` at introspection). */
export interface ApplicationKeyFile {
  type: 'application';
  keyId: string;
  /** PKCS#1 PEM, `-----BEGIN RSA PRIVATE KEY-----`. */
  key: string;
  appId: string;
  clientId: string;
}

/** A ZITADEL service-user key file (JWT profile grant). */
export interface ServiceAccountKeyFile {
  type: 'serviceaccount';
  keyId: string;
  /** PKCS#1 PEM, `-----BEGIN RSA PRIVATE KEY-----`. */
  key: string;
  userId: string;
}

export type DevIssuerEndpoint = Endpoint;

/** A running, ZITADEL-like authorization server on 127.0.0.1. */
export interface DevIssuer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly issuer: string;
  readonly projectId: string;
  /** The protected API's own credentials for introspection. */
  readonly api: {
    clientId: string;
    clientSecret: string;
    keyFile: ApplicationKeyFile;
  };
  /** Service users. */
  serviceUsers: {
    jwtProfile: { userId: string; keyFile: ServiceAccountKeyFile };
    clientCredentials: { userId: string; clientId: string; clientSecret: string };
  };
  /** Replaces a user's project roles: `{ role: [orgId, ...] }`; roles are `{ roleKey: { orgId: orgDomain } }` in claims. */
  setRoles(userId: string, roles: Record<string, string[]>): void;
  /** Issues a personal access token (opaque, no dots, long-lived) for a user. */
  createPersonalAccessToken(userId: string, options?: { expiresInSeconds?: number }): Promise<string>;
  /** Whether access tokens issued to this user are JWTs or opaque (ZITADEL's default). */
  setAccessTokenType(userId: string, type: 'jwt' | 'opaque'): void;
  /** Requests received per endpoint, counted live. */
  readonly requests: Record<DevIssuerEndpoint, number>;
  close(): Promise<void>;
}

export interface DevIssuerOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  host?: '127.0.0.1';
  /**
   * The three 2048-bit RSA private keys (the issuer's signing key, the API application's
   * key, the JWT profile user's key); absent: generated now, as `npm start` does. A test
   * suite that starts many dev issuers passes keys it generated once (each generation costs
   * 100-450 ms of CPU).
   */
  keys?: DevIssuerKeys;
}

/** RSA private keys for {@link DevIssuerOptions.keys}; each gets a fresh key id. */
export interface DevIssuerKeys {
  readonly signing: KeyObject;
  readonly api: KeyObject;
  readonly serviceUser: KeyObject;
}

const ACME: Organization = { id: '100000000000000001', name: 'ACME', domain: 'acme.localhost' };
const GLOBEX: Organization = { id: '100000000000000002', name: 'Globex', domain: 'globex.localhost' };

/** The demo project's fixed identifiers. Keys and secrets are generated on every start. */
export const DEV_PROJECT = {
  projectId: '300000000000000001',
  apiAppId: '300000000000000002',
  apiClientId: 'orders-api@demo',
  roles: ['orders.read', 'orders.write', 'orders.admin'],
  /** The users' own org first; the second org exists for grants across organizations. */
  organizations: [ACME, GLOBEX],
  jwtProfileUser: { userId: '310000000000000001', username: 'orders-batch' },
  clientCredentialsUser: { userId: '310000000000000002', username: 'orders-reporter' },
} as const;

const PATHS = {
  authorization: '/oauth/v2/authorize',
  token: '/oauth/v2/token',
  jwks: '/oauth/v2/keys',
  introspection: '/oauth/v2/introspect',
  revocation: '/oauth/v2/revoke',
  userinfo: '/oidc/v1/userinfo',
  end_session: '/oidc/v1/end_session',
  discovery: '/.well-known/openid-configuration',
} as const;

/** ZITADEL's default access token lifetime: 12 hours. */
const ACCESS_TOKEN_TTL = 12 * 60 * 60;
/** ZITADEL's PATs default to "no expiry"; ten years is long enough for a dev issuer. */
const PAT_TTL = 10 * 365 * 24 * 60 * 60;
const CLOCK_TOLERANCE = 5;

/**
 * Starts an in-process, ZITADEL-like authorization server built on `oidc-provider`, listening on
 * 127.0.0.1 only: discovery, JWKS (an RS256 key generated now), the JWT profile and client
 * credentials grants for two service users, RFC 7662 introspection (`client_secret_basic` or
 * `private_key_jwt`), revocation, personal access tokens, project roles in two orgs.
 *
 * @example
 * ```ts
 * const idp = await startDevIssuer();
 * const res = await fetch(`${idp.issuer}/oauth/v2/token`, {
 *   method: 'POST',
 *   headers: {
 *     authorization: `Basic ${btoa(`${idp.serviceUsers.clientCredentials.clientId}:${idp.serviceUsers.clientCredentials.clientSecret}`)}`,
 *     'content-type': 'application/x-www-form-urlencoded',
 *   },
 *   body: new URLSearchParams({ grant_type: 'client_credentials', scope: `openid urn:zitadel:iam:org:project:id:${idp.projectId}:aud` }),
 * });
 * const { access_token } = await res.json();
 * await idp.close();
 * ```
 */
export async function startDevIssuer(options: DevIssuerOptions = {}): Promise<DevIssuer> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') {
    throw new TypeError('"host" option must be "127.0.0.1" (the dev issuer never listens elsewhere)');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('"port" option must be an integer between 0 and 65535');
  }

  let listener: RequestListener = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  try {
    const assembled = assemble(issuer, options.keys);
    listener = assembled.listener;
    return assembled.devIssuer(server);
  } catch (error) {
    await closeServer(server);
    throw error;
  }
}

function assemble(issuer: string, keys: DevIssuerKeys | undefined): {
  listener: RequestListener;
  devIssuer: (server: ReturnType<typeof createServer>) => DevIssuer;
} {
  const signingKey = generateRsaKey(keys?.signing);
  const apiKey = generateRsaKey(keys?.api);
  const serviceUserKey = generateRsaKey(keys?.serviceUser);
  const apiSecret = randomSecret();
  const clientCredentialsSecret = randomSecret();
  const { jwtProfileUser, clientCredentialsUser } = DEV_PROJECT;

  const users: ServiceUser[] = [
    {
      userId: jwtProfileUser.userId,
      username: jwtProfileUser.username,
      clientId: jwtProfileUser.userId,
      orgId: ACME.id,
      grant: 'jwtProfile',
      key: { keyId: serviceUserKey.keyId, publicKey: serviceUserKey.publicKey },
    },
    {
      userId: clientCredentialsUser.userId,
      username: clientCredentialsUser.username,
      clientId: clientCredentialsUser.username,
      orgId: ACME.id,
      grant: 'clientCredentials',
    },
  ];
  const directory = new Directory({
    projectId: DEV_PROJECT.projectId,
    apiClientId: DEV_PROJECT.apiClientId,
    roles: DEV_PROJECT.roles,
    organizations: DEV_PROJECT.organizations,
    users,
  });
  directory.setRoles(jwtProfileUser.userId, { 'orders.read': [ACME.id], 'orders.write': [ACME.id] });
  directory.setRoles(clientCredentialsUser.userId, { 'orders.read': [ACME.id] });

  const store = new MemoryStore();
  const jwts = new JwtRegistry();
  const resource = `urn:zitadel:iam:org:project:id:${DEV_PROJECT.projectId}`;
  const signingPublicKey = createPublicKey(signingKey.privateKey);

  const resourceServerInfo = (userId: string, scopes: ReadonlySet<string>): ResourceServerInfo => {
    const audience = directory.audience(scopes);
    return {
      scope: directory.supportedScopes().join(' '),
      audience: audience[0] ?? DEV_PROJECT.projectId,
      accessTokenTTL: ACCESS_TOKEN_TTL,
      accessTokenFormat: directory.accessTokenType(userId),
    };
  };

  const userIdOf = (token: Token): string | undefined => accountOf(token) ?? directory.userByClientId(token.clientId)?.userId;

  const configuration: Configuration = {
    adapter: (model) => store.adapterFor(model),
    clients: [
      {
        client_id: DEV_PROJECT.apiClientId,
        client_secret: apiSecret,
        client_name: 'orders-api',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: jwtProfileUser.userId,
        client_name: jwtProfileUser.username,
        token_endpoint_auth_method: 'none',
        grant_types: [JWT_BEARER_GRANT],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: clientCredentialsUser.username,
        client_secret: clientCredentialsSecret,
        client_name: clientCredentialsUser.username,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    clientBasedCORS: () => false,
    clockTolerance: CLOCK_TOLERANCE,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    discovery: {
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          const record = recordFromModel(directory, token);
          return record !== undefined && mayIntrospect(directory, record, client.clientId);
        },
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          client.clientId === DEV_PROJECT.apiClientId || client.clientId === token.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        getResourceServerInfo: async (ctx, indicator, client) => {
          const userId = directory.userByClientId(client.clientId)?.userId;
          if (indicator !== resource || userId === undefined) {
            throw new errors.InvalidTarget();
          }
          const scope = ctx.oidc?.params['scope'];
          return resourceServerInfo(userId, scopeSet(typeof scope === 'string' ? scope : undefined));
        },
      },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    // Nothing here is ever fetched (no client jwks_uri, sector identifier or metadata document).
    fetch: () => {
      throw new Error('dev issuer: oidc-provider must not make outgoing requests');
    },
    formats: {
      customizers: {
        // ZITADEL's JWT access tokens (internal/api/oidc/token.go createJWT, zitadel/oidc
        // NewAccessTokenClaims and SignerFromKey): header typ "JWT" with kid; iss sub aud exp
        // iat nbf client_id jti; no scope claim; aud = the project (audience scope) or else the
        // client; client_id = the user name (token_jwt_profile.go, client_credentials.go);
        // jti V2_<id>-at_<id> (internal/command/oidc_session.go); role and resource-owner
        // claims only with their scopes (userinfo.go).
        jwt: (_ctx, token, jwt) => {
          const userId = userIdOf(token);
          const user = userId === undefined ? undefined : directory.user(userId);
          if (userId === undefined || user === undefined) {
            throw new Error('dev issuer: JWT access token for an unknown user');
          }
          const scope = token.scope ?? '';
          const scopes = scopeSet(scope);
          const payload = jwt.payload;
          const iat = typeof payload['iat'] === 'number' ? payload['iat'] : Math.floor(Date.now() / 1000);
          const exp = typeof payload['exp'] === 'number' ? payload['exp'] : iat + ACCESS_TOKEN_TTL;
          const tokenId = sessionTokenId();
          const audience = directory.audience(scopes);
          jwt.header = { typ: 'JWT' };
          for (const name of Object.keys(payload)) {
            if (!['iss', 'iat', 'exp'].includes(name)) delete payload[name];
          }
          Object.assign(payload, {
            sub: userId,
            aud: audience.length > 0 ? audience : [user.username],
            nbf: iat,
            client_id: user.username,
            jti: tokenId,
            ...directory.resourceOwnerClaims(userId, scopes),
            ...directory.roleClaims(userId, scopes, 'token'),
          });
          jwts.remember({
            tokenId,
            userId,
            clientId: user.username,
            scope,
            audience,
            iat,
            exp,
            personal: false,
            amr: user.grant === 'clientCredentials' ? ['pwd'] : [],
          });
        },
      },
      // ZITADEL's opaque access tokens are 104 base64url characters (zitadel/oidc
      // pkg/crypto/crypto.go EncryptAES of "<tokenId>:<userId>"), its PATs 71
      // (internal/command/user_personal_access_token.go createToken): canonical base64url of
      // 78 and 53 bytes. oidc-provider draws characters, not bytes, and only a multiple of four
      // characters is always canonical base64url: PATs here are 72 characters (54 bytes).
      bitsOfOpaqueRandomness: (_ctx, token) => (token.gty === PAT_GRANT ? 72 : 104) * 6,
    },
    jwks: { keys: [signingJwk(signingKey)] },
    responseTypes: ['code'],
    routes: {
      authorization: PATHS.authorization,
      token: PATHS.token,
      jwks: PATHS.jwks,
      introspection: PATHS.introspection,
      revocation: PATHS.revocation,
      userinfo: PATHS.userinfo,
      end_session: PATHS.end_session,
    },
    scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_TTL,
    },
  };

  const provider = new Provider(issuer, configuration);
  // An oidc-provider server_error is a bug in this issuer: say so instead of answering 500 silently.
  provider.on('server_error', (_ctx, error) => {
    console.error('dev issuer: oidc-provider server_error', error);
  });
  provider.registerGrantType(
    JWT_BEARER_GRANT,
    jwtProfileGrant({ provider, directory, resource, resourceServerInfo, clockToleranceSeconds: CLOCK_TOLERANCE }),
    ['assertion', 'scope'],
  );
  provider.use(
    zitadelIntrospection({
      issuer,
      directory,
      jwts,
      signingKey: signingPublicKey,
      paths: { introspection: PATHS.introspection, revocation: PATHS.revocation, jwks: PATHS.jwks },
    }),
  );

  const requests: Record<DevIssuerEndpoint, number> = { token: 0, keys: 0, introspect: 0, revoke: 0, discovery: 0 };
  const listener = frontDoor({
    issuer,
    paths: { token: PATHS.token, keys: PATHS.jwks, introspect: PATHS.introspection, revoke: PATHS.revocation, discovery: PATHS.discovery },
    requests,
    directory,
    api: { clientId: DEV_PROJECT.apiClientId, clientSecret: apiSecret, keyId: apiKey.keyId, publicKey: apiKey.publicKey },
    clockToleranceSeconds: CLOCK_TOLERANCE,
    forward: provider.callback(),
  });

  const devIssuer = (server: ReturnType<typeof createServer>): DevIssuer => {
    let closing: Promise<void> | undefined;
    return {
      issuer,
      projectId: DEV_PROJECT.projectId,
      api: {
        clientId: DEV_PROJECT.apiClientId,
        clientSecret: apiSecret,
        keyFile: {
          type: 'application',
          keyId: apiKey.keyId,
          key: apiKey.pkcs1Pem,
          appId: DEV_PROJECT.apiAppId,
          clientId: DEV_PROJECT.apiClientId,
        },
      },
      serviceUsers: {
        jwtProfile: {
          userId: jwtProfileUser.userId,
          keyFile: { type: 'serviceaccount', keyId: serviceUserKey.keyId, key: serviceUserKey.pkcs1Pem, userId: jwtProfileUser.userId },
        },
        clientCredentials: {
          userId: clientCredentialsUser.userId,
          clientId: clientCredentialsUser.username,
          clientSecret: clientCredentialsSecret,
        },
      },
      setRoles: (userId, roles) => directory.setRoles(userId, roles),
      setAccessTokenType: (userId, type) => directory.setAccessTokenType(userId, type),
      createPersonalAccessToken: async (userId, patOptions = {}) => {
        const user = directory.user(userId);
        if (!user) {
          throw new TypeError(`createPersonalAccessToken: unknown user id "${userId}"`);
        }
        const expiresIn = patOptions.expiresInSeconds ?? PAT_TTL;
        if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) {
          throw new TypeError('"expiresInSeconds" option must be a positive integer');
        }
        const token = new provider.AccessToken({
          accountId: user.userId,
          clientId: user.clientId,
          scope: PAT_SCOPES.join(' '),
          gty: PAT_GRANT,
          expiresIn,
        });
        return token.save();
      },
      requests,
      close: () => {
        closing ??= closeServer(server).then(() => {
          store.clear();
          jwts.clear();
        });
        return closing;
      },
    };
  };

  return { listener, devIssuer };
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
