/**
 * `createTestIssuer()`: an in-process authorization server for tests that speaks ZITADEL's
 * wire format.
 */
import { discoveryDocument, ENDPOINT_PATHS } from './discovery.js';
import { Directory } from './directory.js';
import type { RoleGrants, TestServiceUser, TestServiceUserOptions } from './directory.js';
import { ControllableServer, jsonReply } from './http-server.js';
import type { OutageMode, ReceivedRequest, Reply } from './http-server.js';
import { handleIntrospection } from './introspection.js';
import type { IntrospectionContext } from './introspection.js';
import { checkIssuerKeyAlgorithm, KeyRing, sharedIssuerKey } from './key-ring.js';
import { buildClaims, checkExpiresIn, DEFAULT_CLIENT_ID, DEFAULT_ORGANIZATION_ID, DEFAULT_SUBJECT, mintJwtToken } from './mint.js';
import type { MintContext, MintJwtOptions } from './mint.js';
import { resolveTestIssuerOptions } from './options.js';
import type { TestIssuerOptions } from './options.js';
import { signCompact } from './sign.js';
import { TokenRegistry } from './token-registry.js';
import {
  ACCESS_TOKEN_LIFETIME,
  accessTokenId,
  CLAIMS,
  opaqueAccessToken,
  PAT_NO_EXPIRY,
  personalAccessToken,
  projectAudienceScope,
  zitadelId,
} from './zitadel.js';
import { accessTokenPayload, audienceFromScope, grantedScopes, parseScope, patScopes } from './zitadel-claims.js';
import type { IssuedTokenRecord, ServiceUserGrant, TokenActor } from './zitadel-claims.js';

/** Requests received per endpoint. */
export interface TestIssuerRequestCounts {
  readonly discovery: number;
  readonly jwks: number;
  readonly introspection: number;
}

/** Options of {@link TestIssuer.mintOpaque}. */
export interface MintOpaqueOptions {
  /** Seconds until `exp`, default 300. */
  expiresIn?: number;
  /** `false` stores the token as inactive: introspection answers `{"active": false}`. Default `true`. */
  active?: boolean;
  /**
   * `false` answers active even though `aud` names neither the introspection client nor its
   * project — a shape ZITADEL never sends (`validateIntrospectionAudience`), for testing a
   * resource server's own audience check. Default: the issuer's `introspectionAudienceCheck`.
   */
  introspectionAudienceCheck?: boolean;
}

/** Options of {@link TestIssuer.rotateKeys}. */
export interface RotateKeysOptions {
  /** Remove every other key from the JWKS. Default `false`. */
  dropOld?: boolean;
  /** Algorithm of the new key, default the issuer's `alg` option. */
  alg?: string;
}

/** Options of {@link TestIssuer.roleClaims}. */
export interface RoleClaimsOptions {
  /**
   * Also write the generic `urn:zitadel:iam:org:project:roles` claim. ZITADEL writes it only for
   * the request's own project: in introspection answers to the project's API application and in
   * tokens of an application of the project — never in a service user's JWT (JWT profile and
   * client credentials grants have no project of their own; `internal/api/oidc/userinfo.go`
   * `setUserInfoRoleClaims`). Default `false`.
   */
  generic?: boolean;
  /** Project of the claim, default the issuer's `projectId`. */
  projectId?: string;
}

/** A token request of a service user; see {@link TestIssuer.issueToken}. */
export interface IssueTokenRequest {
  /** The service user (or its user id). Default {@link TestIssuer.serviceUser}. */
  user?: string | TestServiceUser;
  /**
   * `'jwt_profile'` (private key JWT, RFC 7523) or `'client_credentials'`. They differ in
   * `amr` at introspection (`['pwd']` for client credentials, `internal/api/oidc/amr.go`).
   * Default `'jwt_profile'`.
   */
  grant?: ServiceUserGrant;
  /**
   * The requested scope; non-standard, non-reserved scopes are dropped as ZITADEL does.
   * Default `['openid', 'urn:zitadel:iam:org:project:id:{projectId}:aud']` (audience only:
   * no roles, no organization). Use `zitadelScopes` from `zitadel-resource-server/client`.
   */
  scope?: string | readonly string[];
  /** `'bearer'` (opaque) or `'jwt'`; default the user's setting (`'bearer'`, ZITADEL's default). */
  accessTokenType?: 'bearer' | 'jwt';
  /** Seconds until `exp`, default 43200 (12 h, ZITADEL's default access token lifetime). */
  expiresIn?: number;
  /** `act` of an impersonation or token-exchange token (`{ iss, sub }`, optionally nested). */
  actor?: TokenActor;
}

/** Options of {@link TestIssuer.createPersonalAccessToken}. */
export interface PersonalAccessTokenOptions {
  /** The service user (or its user id). Default {@link TestIssuer.serviceUser}. */
  user?: string | TestServiceUser;
  /** Seconds until `exp`; default none (ZITADEL: 9999-12-31T23:59:59Z). */
  expiresIn?: number;
}

/** A running test issuer; see {@link createTestIssuer}. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** `${issuer}/oauth/v2/keys`. */
  readonly jwksUri: string;
  /** `${issuer}/oauth/v2/introspect`. */
  readonly introspectionEndpoint: string;
  /** `${issuer}/.well-known/openid-configuration`. */
  readonly discoveryUri: string;
  /** Credentials the introspection endpoint accepts with `client_secret_basic`. */
  readonly introspectionClient: { clientId: string; clientSecret: string };
  /** Default audience of minted tokens (a list, as ZITADEL writes it). */
  readonly audience: readonly string[];
  /** The project of the API: role claims, the introspection client's project, the default audience. */
  readonly projectId: string;
  /**
   * The default service user (user id `200000000000000001`, user name `service-user-client`,
   * organization `100000000000000001`, no roles): `sub` and `client_id` of minted tokens.
   */
  readonly serviceUser: TestServiceUser;
  /** Adds a service user (a ZITADEL machine user) to the issuer's instance. */
  createServiceUser(options?: TestServiceUserOptions): TestServiceUser;
  /**
   * Replaces a user's role grants in `projectId` (default the issuer's project): role keys
   * (granted in the user's organization) or role key → organization ids. Tokens issued
   * later carry the new grants; introspection answers show them at once, as ZITADEL's do.
   */
  setRoles(user: string | TestServiceUser, roles: readonly string[] | RoleGrants, projectId?: string): void;
  /**
   * What ZITADEL's token endpoint hands a service user for this request — a JWT or an
   * opaque token depending on `accessTokenType` — with ZITADEL's claims: `aud` from the
   * project audience scopes (or `[client_id]` without one), role claims only with the roles
   * scope (`urn:zitadel:iam:org:projects:roles` or `…:project:role:{key}`) together with the
   * audience scope and then only `urn:zitadel:iam:org:project:{projectId}:roles`,
   * resource-owner claims only with `urn:zitadel:iam:user:resourceowner`, `jti`
   * `V2_<id>-at_<id>`, no `scope` claim. Introspection answers for it as ZITADEL does.
   *
   * @example
   * ```ts
   * import { createTestIssuer } from 'zitadel-resource-server/testing';
   * import { zitadelScopes } from 'zitadel-resource-server/client';
   *
   * const idp = await createTestIssuer({ keys: 'shared' });
   * idp.setRoles(idp.serviceUser, ['orders.read']);
   * const jwt = await idp.issueToken({ accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(idp.projectId) });
   * const opaque = await idp.issueToken({ grant: 'client_credentials', scope: zitadelScopes.apiAccess(idp.projectId) });
   * ```
   */
  issueToken(request?: IssueTokenRequest): Promise<string>;
  /**
   * A personal access token of a service user: 71 base64url characters, no dots. It has no
   * audience and no client: introspection answers with `aud` = the API application's client
   * id (and project id, see the `patAudience` option), no `client_id`, every project role in
   * `scope`, and the granted roles in both role claims.
   */
  createPersonalAccessToken(options?: PersonalAccessTokenOptions): string;
  /** Count of requests received per endpoint since start (or since `resetCounts()`); a snapshot. */
  readonly requests: TestIssuerRequestCounts;
  /** Sets every request count back to 0. */
  resetCounts(): void;
  /**
   * Mints a JWT access token with exactly these claims on top of ZITADEL's defaults for the
   * default service user — header `{ alg, kid, typ: 'JWT' }` (zitadel/oidc `pkg/op/signer.go`
   * `SignerFromKey`); `iss`, `sub`, `aud` (`[projectId]`), `exp`, `iat`, `nbf`, `client_id`,
   * `jti` (`V2_<id>-at_<id>`) and the three `urn:zitadel:iam:user:resourceowner:*` claims; no
   * `scope` — a claim set to `undefined` is removed. For claims derived from a request the way
   * ZITADEL derives them, use {@link TestIssuer.issueToken}.
   */
  mintJwt(claims?: Record<string, unknown>, options?: MintJwtOptions): Promise<string>;
  /**
   * Mints an opaque token (104 base64url characters, no dots, or a JWE with
   * `opaqueTokenFormat: 'jwe'`) that the introspection endpoint answers with `active`,
   * `token_type` and these claims on top of the {@link TestIssuer.mintJwt} defaults plus
   * `scope`. A claim named `active` or `token_type` overrides that field (e.g.
   * `active: 'true'` to test a resource server's strictness). As ZITADEL, introspection says
   * inactive when `aud` holds neither the introspection client nor its project.
   */
  mintOpaque(claims?: Record<string, unknown>, options?: MintOpaqueOptions): string;
  /** Revokes a token for introspection: an opaque token, a JWT, or a JWT's `jti`. */
  revoke(token: string): void;
  /**
   * Adds a new signing key (new kid) and makes it current; the old key stays in the JWKS
   * unless `{ dropOld: true }`. Returns the new kid.
   */
  rotateKeys(options?: RotateKeysOptions): Promise<string>;
  /** Kid of the key new tokens are signed with. */
  readonly currentKid: string;
  /**
   * ZITADEL's role claim as a service user's JWT carries it,
   * `urn:zitadel:iam:org:project:{projectId}:roles` shaped `{ role: { orgId: domain } }`, to
   * spread into `claims`; with `{ generic: true }` also `urn:zitadel:iam:org:project:roles`.
   * `roles` is a list of role keys granted in the default organization, or a map from role key
   * to organization ids.
   */
  roleClaims(roles: readonly string[] | Readonly<Record<string, readonly string[]>>, options?: RoleClaimsOptions): Record<string, unknown>;
  /**
   * Makes the whole issuer unavailable: `'refuse'` (listening socket closed, open
   * connections destroyed: new connections fail with ECONNREFUSED), `'hang'` (requests are
   * accepted and never answered), `'error'` (500), `'garbage'` (200 with a body that is not
   * JSON). Default `'refuse'`. Requests received while down still count.
   */
  goDown(mode?: OutageMode): Promise<void>;
  /** Ends an outage: hung requests are dropped; listens again on the same port. */
  comeBack(): Promise<void>;
  /** Delays every answer by `ms` milliseconds (0 to turn off). */
  setLatency(ms: number): void;
  /** Stops the server and destroys every connection (hung ones too). Idempotent. */
  close(): Promise<void>;
}

function checkLifetime(value: unknown, option: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${option} "expiresIn" option must be a finite number of seconds`);
  }
  return Math.trunc(value);
}

/**
 * Starts an in-process issuer on 127.0.0.1 that speaks ZITADEL's wire format: discovery, a
 * JWKS with `Cache-Control: max-age=300, must-revalidate`, RFC 7662 introspection that
 * authenticates an API application and answers (and refuses) as ZITADEL does, service users
 * whose tokens carry ZITADEL's claims (`issueToken`, `createPersonalAccessToken`), and raw
 * minting of JWT and opaque tokens (`mintJwt`, `mintOpaque`), valid or deliberately broken.
 * It can rotate keys, revoke tokens, slow down and go down on demand. Keys are generated per
 * call unless `keys` says otherwise, and never leave memory. Built on `node:http` and `jose`.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'zitadel-resource-server/testing';
 * import { zitadelScopes } from 'zitadel-resource-server/client';
 *
 * const issuer = await createTestIssuer({ keys: 'shared' });
 * const rs = createResourceServer({
 *   issuer: issuer.issuer,
 *   audience: issuer.projectId,
 *   projectId: issuer.projectId,
 *   introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
 * });
 * issuer.setRoles(issuer.serviceUser, ['orders.admin']);
 * const token = await issuer.issueToken({ accessTokenType: 'jwt', scope: zitadelScopes.apiAccess(issuer.projectId) });
 * // ... call your API with `Authorization: Bearer ${token}`
 * await issuer.close();
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const resolved = resolveTestIssuerOptions(options);
  const keys = resolved.keys === undefined
    ? await KeyRing.create(resolved.alg)
    : KeyRing.withKey(resolved.keys === 'shared' ? await sharedIssuerKey(resolved.alg) : resolved.keys);
  const registry = new TokenRegistry();
  const directory = new Directory(resolved.projectId, resolved.projectRoles);
  const serviceUser = directory.addUser({ username: DEFAULT_CLIENT_ID }, DEFAULT_SUBJECT);
  const counts = { discovery: 0, jwks: 0, introspection: 0 };
  let issuer = '';
  // eslint-disable-next-line prefer-const -- assigned once the server knows its port; the router reads it
  let introspection: IntrospectionContext | undefined;

  const route = async (request: ReceivedRequest): Promise<Reply> => {
    if (request.method === 'GET' && request.path === ENDPOINT_PATHS.discovery) {
      return jsonReply(200, discoveryDocument(issuer, keys.algorithms()));
    }
    if (request.method === 'GET' && request.path === ENDPOINT_PATHS.jwks) {
      // internal/api/oidc/key.go Keys: `max-age=<JWKSCacheControlMaxAge>, must-revalidate`.
      return jsonReply(200, keys.jwks(), resolved.jwksCacheControl === null ? {} : { 'cache-control': resolved.jwksCacheControl });
    }
    if (request.method === 'POST' && request.path === ENDPOINT_PATHS.introspection && introspection !== undefined) {
      return handleIntrospection(request, introspection);
    }
    return jsonReply(404, { error: 'not_found' });
  };
  const countRequest = (path: string): void => {
    if (path === ENDPOINT_PATHS.discovery) counts.discovery += 1;
    else if (path === ENDPOINT_PATHS.jwks) counts.jwks += 1;
    else if (path === ENDPOINT_PATHS.introspection) counts.introspection += 1;
  };

  const server = new ControllableServer(route, countRequest);
  const port = await server.start(resolved.port);
  issuer = `http://127.0.0.1:${port}`;
  introspection = {
    issuer,
    client: resolved.introspectionClient,
    clientKey: resolved.introspectionClientKey,
    projectId: resolved.projectId,
    directory,
    registry,
    keys,
    patAudience: resolved.patAudience,
    clientAuthErrors: resolved.clientAuthErrors,
    audienceCheck: resolved.introspectionAudienceCheck,
    now: resolved.now,
  };
  const mintContext: MintContext = { issuer, audience: resolved.audience, projectId: resolved.projectId, now: resolved.now };
  const nowSeconds = (): number => Math.floor(resolved.now() / 1000);

  const userOf = (user: string | TestServiceUser | undefined, method: string): TestServiceUser => {
    const userId = user === undefined ? serviceUser.userId : typeof user === 'string' ? user : user.userId;
    const found = directory.user(userId);
    if (found === undefined) throw new TypeError(`${method}: unknown service user "${String(userId)}"`);
    return found;
  };

  return Object.freeze({
    issuer,
    jwksUri: `${issuer}${ENDPOINT_PATHS.jwks}`,
    introspectionEndpoint: `${issuer}${ENDPOINT_PATHS.introspection}`,
    discoveryUri: `${issuer}${ENDPOINT_PATHS.discovery}`,
    introspectionClient: { ...resolved.introspectionClient },
    audience: resolved.audience,
    projectId: resolved.projectId,
    serviceUser,
    get requests(): TestIssuerRequestCounts {
      return Object.freeze({ ...counts });
    },
    get currentKid(): string {
      return keys.current.kid;
    },
    resetCounts(): void {
      counts.discovery = 0;
      counts.jwks = 0;
      counts.introspection = 0;
    },
    createServiceUser(userOptions: TestServiceUserOptions = {}): TestServiceUser {
      return directory.addUser(userOptions, userOptions.userId ?? zitadelId());
    },
    setRoles(user: string | TestServiceUser, roles: readonly string[] | RoleGrants, projectId?: string): void {
      directory.setRoles(userOf(user, 'setRoles').userId, roles, projectId ?? resolved.projectId);
    },
    async issueToken(request: IssueTokenRequest = {}): Promise<string> {
      const user = userOf(request.user, 'issueToken');
      const grant = request.grant ?? 'jwt_profile';
      if (grant !== 'jwt_profile' && grant !== 'client_credentials') {
        throw new TypeError('issueToken "grant" option must be "jwt_profile" or "client_credentials"');
      }
      const requested = parseScope(request.scope ?? ['openid', projectAudienceScope(resolved.projectId)], 'issueToken "scope" option');
      // zitadel/oidc pkg/op/auth_request.go ValidateAuthReqScopes: an empty scope is an invalid request.
      if (requested.length === 0) throw new TypeError('issueToken "scope" option must not be empty (ZITADEL refuses a request without scope)');
      const type = request.accessTokenType ?? user.accessTokenType;
      if (type !== 'bearer' && type !== 'jwt') throw new TypeError('issueToken "accessTokenType" option must be "bearer" or "jwt"');
      const lifetime = checkLifetime(request.expiresIn, 'issueToken', ACCESS_TOKEN_LIFETIME) ?? ACCESS_TOKEN_LIFETIME;
      const scope = grantedScopes(requested, user);
      const iat = nowSeconds();
      const record: IssuedTokenRecord = Object.freeze({
        kind: 'access_token',
        tokenId: accessTokenId(),
        userId: user.userId,
        clientId: user.username,
        scope: Object.freeze(scope),
        audience: Object.freeze(audienceFromScope(scope)),
        iat,
        exp: iat + lifetime,
        authTime: iat,
        // internal/api/oidc/amr.go AuthMethodTypesToAMR: password → "pwd"; a private key has no AMR value.
        amr: Object.freeze(grant === 'client_credentials' ? ['pwd'] : []),
        actor: request.actor === undefined ? undefined : structuredClone(request.actor),
      });
      if (type === 'jwt') {
        registry.addIssued(record);
        const header = { alg: keys.current.alg, kid: keys.current.kid, typ: 'JWT' };
        return signCompact(header, accessTokenPayload(issuer, record, directory, user), keys.current.alg, keys.current.privateKey);
      }
      const token = opaqueAccessToken(record.tokenId, user.userId, resolved.opaqueTokenFormat);
      registry.addIssued(record, token);
      return token;
    },
    createPersonalAccessToken(patOptions: PersonalAccessTokenOptions = {}): string {
      const user = userOf(patOptions.user, 'createPersonalAccessToken');
      const expiresIn = checkLifetime(patOptions.expiresIn, 'createPersonalAccessToken', undefined);
      const iat = nowSeconds();
      const record: IssuedTokenRecord = Object.freeze({
        kind: 'personal_access_token',
        // A PAT's id is a plain resource id (internal/command/user_personal_access_token.go).
        tokenId: zitadelId(),
        userId: user.userId,
        clientId: undefined,
        scope: Object.freeze(patScopes()),
        audience: Object.freeze([]),
        iat,
        exp: expiresIn === undefined ? PAT_NO_EXPIRY : iat + expiresIn,
        authTime: undefined,
        amr: Object.freeze([]),
        actor: undefined,
      });
      const token = personalAccessToken(record.tokenId, user.userId);
      registry.addIssued(record, token);
      return token;
    },
    async mintJwt(claims: Record<string, unknown> = {}, mintOptions: MintJwtOptions = {}): Promise<string> {
      const token = mintJwtToken(mintContext, keys.current, claims, mintOptions);
      if (mintOptions.introspectionScope !== undefined) {
        registry.setIntrospectionScope(token, mintOptions.introspectionScope);
      }
      return token;
    },
    mintOpaque(claims: Record<string, unknown> = {}, mintOptions: MintOpaqueOptions = {}): string {
      const tokenClaims = buildClaims(mintContext, claims, checkExpiresIn(mintOptions.expiresIn), [], 'opaque');
      const token = opaqueAccessToken(String(tokenClaims['jti'] ?? accessTokenId()), String(tokenClaims['sub'] ?? DEFAULT_SUBJECT), resolved.opaqueTokenFormat);
      if (mintOptions.introspectionAudienceCheck !== undefined && typeof mintOptions.introspectionAudienceCheck !== 'boolean') {
        throw new TypeError('mintOpaque "introspectionAudienceCheck" option must be a boolean');
      }
      registry.addOpaque(token, {
        claims: Object.freeze(tokenClaims),
        active: mintOptions.active ?? true,
        ...(mintOptions.introspectionAudienceCheck === undefined ? {} : { audienceCheck: mintOptions.introspectionAudienceCheck }),
      });
      return token;
    },
    revoke(token: string): void {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TypeError('revoke "token" must be a non-empty string');
      }
      registry.revoke(token);
    },
    async rotateKeys(rotateOptions: RotateKeysOptions = {}): Promise<string> {
      const alg = checkIssuerKeyAlgorithm(rotateOptions.alg ?? keys.current.alg, 'alg');
      const key = await keys.rotate(alg, rotateOptions.dropOld === true);
      return key.kid;
    },
    roleClaims(
      roles: readonly string[] | Readonly<Record<string, readonly string[]>>,
      claimOptions: RoleClaimsOptions = {},
    ): Record<string, unknown> {
      const grants: Record<string, Record<string, string>> = {};
      const entries: [string, readonly string[]][] = Array.isArray(roles)
        ? (roles as readonly string[]).map((role) => [role, [DEFAULT_ORGANIZATION_ID]])
        : Object.entries(roles as Readonly<Record<string, readonly string[]>>);
      for (const [role, organizationIds] of entries) {
        grants[role] = Object.fromEntries(organizationIds.map((id) => [id, directory.organization(id).primaryDomain]));
      }
      const claims: Record<string, unknown> = { [CLAIMS.projectRolesOf(claimOptions.projectId ?? resolved.projectId)]: grants };
      if (claimOptions.generic === true) claims[CLAIMS.projectRoles] = structuredClone(grants);
      return claims;
    },
    goDown: (mode: OutageMode = 'refuse'): Promise<void> => server.goDown(mode),
    comeBack: (): Promise<void> => server.comeBack(),
    setLatency: (ms: number): void => server.setLatency(ms),
    close: (): Promise<void> => server.close(),
  });
}
