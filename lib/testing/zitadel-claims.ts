/**
 * ZITADEL's rules for what a service user's token says, as pure functions: which scopes are
 * granted, which audience they give, which role and organization claims a JWT carries, and
 * what introspection answers to an API application. Each rule names the ZITADEL source it
 * follows (paths in github.com/zitadel/zitadel unless marked zitadel/oidc).
 */
import type { Directory, TestServiceUser } from './directory.js';
import { CLAIMS, PAT_SCOPES, SCOPES } from './zitadel.js';

/** `act` of an impersonation or token-exchange token (`internal/api/oidc/token_exchange.go` `actorDomainToClaims`). */
export interface TokenActor {
  readonly iss: string;
  readonly sub: string;
  /** A chain of actors (token exchange of an exchanged token). */
  readonly act?: TokenActor;
}

/** The grant a service user's access token came from. */
export type ServiceUserGrant = 'jwt_profile' | 'client_credentials';

/** What the issuer stored about one token it handed out. */
export interface IssuedTokenRecord {
  readonly kind: 'access_token' | 'personal_access_token';
  /** `jti`: `V2_…-at_…` for OIDC session tokens, a plain id for PATs. */
  readonly tokenId: string;
  readonly userId: string;
  /** `client_id`: the user name (`token_jwt_profile.go`, `client_credentials.go`); none for a PAT. */
  readonly clientId: string | undefined;
  /** The granted scopes. */
  readonly scope: readonly string[];
  /** The stored audience (`session.Audience`); a PAT has none. */
  readonly audience: readonly string[];
  /** Seconds. */
  readonly iat: number;
  readonly exp: number;
  /** Seconds; OIDC session tokens only. */
  readonly authTime: number | undefined;
  readonly amr: readonly string[];
  readonly actor: TokenActor | undefined;
}

/** Project id that `urn:zitadel:iam:org:project:id:zitadel:aud` stands for (the instance's own project). */
export const ZITADEL_PROJECT_ID = '900000000000000001';

const STANDARD_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access']);

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits and checks a requested scope (string or list); throws a TypeError naming `option`. */
export function parseScope(scope: string | readonly string[], option: string): string[] {
  const list = typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [...scope];
  for (const item of list) {
    if (typeof item !== 'string' || !SCOPE_TOKEN.test(item)) {
      throw new TypeError(`"${option}" must hold scope tokens without spaces, quotes or backslashes (got ${JSON.stringify(item)})`);
    }
  }
  return [...new Set(list)];
}

/**
 * The scopes ZITADEL grants a service user for a request. Standard OIDC scopes and ZITADEL's
 * reserved `urn:zitadel:iam:` scopes stay, anything else is dropped (zitadel/oidc
 * `pkg/op/auth_request.go` `ValidateAuthReqScopes`; ZITADEL has no custom scopes). An
 * organization id or primary domain scope that is not the user's organization is dropped
 * (`token_jwt_profile.go` / `token_client_credentials.go` `checkOrgScopes`).
 */
export function grantedScopes(requested: readonly string[], user: TestServiceUser): string[] {
  return requested.filter((scope) => {
    if (scope.startsWith(SCOPES.orgIdPrefix)) return scope.slice(SCOPES.orgIdPrefix.length) === user.organization.id;
    if (scope.startsWith(SCOPES.orgDomainPrimaryPrefix)) {
      return scope.slice(SCOPES.orgDomainPrimaryPrefix.length) === user.organization.primaryDomain;
    }
    return STANDARD_SCOPES.has(scope) || scope.startsWith('urn:zitadel:iam:');
  });
}

/**
 * The audience a request gives: the project id of every `urn:zitadel:iam:org:project:id:{id}:aud`
 * scope, `zitadel` standing for the instance's own project (`internal/domain/token.go`
 * `AddAudScopeToAudience`, called by `token_jwt_profile.go` and `token_client_credentials.go`).
 * No client id is added.
 */
export function audienceFromScope(scope: readonly string[]): string[] {
  const audience: string[] = [];
  for (const item of scope) {
    if (!item.startsWith(SCOPES.projectIdPrefix) || !item.endsWith(SCOPES.audSuffix)) continue;
    let projectId = item.slice(SCOPES.projectIdPrefix.length, item.length - SCOPES.audSuffix.length);
    if (projectId === SCOPES.zitadelProject) projectId = ZITADEL_PROJECT_ID;
    if (projectId !== '' && !audience.includes(projectId)) audience.push(projectId);
  }
  return audience;
}

interface UserInfoOptions {
  /** The request's own project (`projectID` of `userInfo`): `''` for service-user grants, the API's project at introspection. */
  readonly projectId: string;
  /** Profile claims (name, preferred_username, updated_at): introspection yes, access tokens no. */
  readonly userInfoAssertion: boolean;
  /** Roles of the request's own project only (introspection), instead of the audience scopes' projects. */
  readonly currentProjectOnly: boolean;
}

/**
 * The user-info claims of a token (`internal/api/oidc/userinfo.go` `userInfo`):
 *
 * - `prepareRoles`: requested roles are the `urn:zitadel:iam:org:project:role:{key}` scopes;
 *   the projects whose roles are asserted are the audience scopes' projects, but only when a
 *   role scope or `urn:zitadel:iam:org:projects:roles` was asked for — or, with
 *   `currentProjectOnly`, just the request's own project;
 * - `assertRoles` / `newProjectRoles` / `setUserInfoRoleClaims`: one
 *   `urn:zitadel:iam:org:project:{projectId}:roles` claim per project with granted (and, if
 *   any were requested, requested) roles, shaped `{ role: { orgId: primaryDomain } }`; the
 *   generic `urn:zitadel:iam:org:project:roles` only for the request's own project, which is
 *   empty for service-user grants (`token_jwt_profile.go`, `token_client_credentials.go` pass
 *   `""`), so a service user's JWT never carries it;
 * - `urn:zitadel:iam:org:roles:id:{orgId}` scopes restrict grants to those organizations
 *   (`internal/domain/token.go` `RoleOrgIDsFromScope`);
 * - `userInfoToOIDC`: `urn:zitadel:iam:user:resourceowner` gives the three resource-owner
 *   claims (`setUserInfoOrgClaims`); `urn:zitadel:iam:org:id:{id}` gives them plus
 *   `urn:zitadel:iam:org:id`; `urn:zitadel:iam:org:domain:primary:{domain}` gives
 *   `urn:zitadel:iam:org:domain:primary`; `profile` gives name, preferred_username and
 *   updated_at only with `userInfoAssertion`.
 */
export function userInfoClaims(
  directory: Directory,
  user: TestServiceUser,
  scope: readonly string[],
  options: UserInfoOptions,
  createdAt: number,
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const orgClaims = (): void => {
    claims[CLAIMS.resourceOwnerId] = user.organization.id;
    claims[CLAIMS.resourceOwnerName] = user.organization.name;
    claims[CLAIMS.resourceOwnerPrimaryDomain] = user.organization.primaryDomain;
  };
  for (const item of scope) {
    if (item === SCOPES.profile && options.userInfoAssertion) {
      claims['name'] = user.name;
      claims['preferred_username'] = user.username;
      claims['updated_at'] = createdAt;
    } else if (item === SCOPES.resourceOwner) {
      orgClaims();
    } else if (item.startsWith(SCOPES.orgDomainPrimaryPrefix)) {
      claims[CLAIMS.orgDomainPrimary] = item.slice(SCOPES.orgDomainPrimaryPrefix.length);
    } else if (item.startsWith(SCOPES.orgIdPrefix)) {
      claims[CLAIMS.orgId] = item.slice(SCOPES.orgIdPrefix.length);
      orgClaims();
    }
  }
  Object.assign(claims, roleClaims(directory, user, scope, options));
  return claims;
}

function roleClaims(
  directory: Directory,
  user: TestServiceUser,
  scope: readonly string[],
  options: UserInfoOptions,
): Record<string, unknown> {
  const requestedRoles = scope.filter((s) => s.startsWith(SCOPES.projectRolePrefix)).map((s) => s.slice(SCOPES.projectRolePrefix.length));
  let roleAudience: string[] = [];
  if (!options.currentProjectOnly && (requestedRoles.length > 0 || scope.includes(SCOPES.projectsRoles))) {
    roleAudience = audienceFromScope(scope);
  }
  const wantsOwnProject = options.currentProjectOnly || roleAudience.length > 0 || requestedRoles.length > 0;
  if (wantsOwnProject && options.projectId !== '' && !roleAudience.includes(options.projectId)) roleAudience.push(options.projectId);
  // assertRoles: "prevent returning obtained grants if none where requested"
  if (!((options.projectId !== '' && requestedRoles.length > 0) || roleAudience.length > 0)) return {};

  const roleOrgIds = scope.filter((s) => s.startsWith(SCOPES.orgRoleIdPrefix)).map((s) => s.slice(SCOPES.orgRoleIdPrefix.length));
  const claims: Record<string, unknown> = {};
  for (const projectId of roleAudience) {
    const granted = directory.grantedRoles(user.userId, projectId, roleOrgIds);
    const roles: Record<string, Record<string, string>> = {};
    for (const [role, orgs] of granted) {
      if (requestedRoles.length > 0 && !requestedRoles.includes(role)) continue;
      roles[role] = Object.fromEntries(orgs);
    }
    if (Object.keys(roles).length === 0) continue;
    if (projectId === options.projectId) claims[CLAIMS.projectRoles] = roles;
    claims[CLAIMS.projectRolesOf(projectId)] = structuredClone(roles);
  }
  return claims;
}

/**
 * The payload of a JWT access token (`internal/api/oidc/token.go` `createJWT`, zitadel/oidc
 * `pkg/oidc/token.go` `NewAccessTokenClaims`): `iss sub aud exp iat nbf client_id jti`, `aud`
 * the stored audience or, when that is empty, `[client_id]`; `act` for impersonation and token
 * exchange; the user-info claims of the service-user grants (roles asserted, no profile). No
 * `scope` claim: `AccessTokenClaims.Scopes` is never set by `createJWT`.
 */
export function accessTokenPayload(issuer: string, record: IssuedTokenRecord, directory: Directory, user: TestServiceUser): Record<string, unknown> {
  const clientId = record.clientId ?? user.username;
  const payload: Record<string, unknown> = {
    ...userInfoClaims(directory, user, record.scope, { projectId: '', userInfoAssertion: false, currentProjectOnly: false }, record.iat),
    iss: issuer,
    sub: user.userId,
    aud: record.audience.length > 0 ? [...record.audience] : [clientId],
    exp: record.exp,
    iat: record.iat,
    nbf: record.iat,
    client_id: clientId,
    jti: record.tokenId,
  };
  if (record.actor !== undefined) payload['act'] = structuredClone(record.actor);
  return payload;
}

/** The introspecting API application, as ZITADEL authenticated it. */
export interface IntrospectingClient {
  readonly clientId: string;
  readonly projectId: string;
}

/** How a PAT's introspection audience is built; see {@link introspectionAnswer}. */
export type PatAudience = 'client-and-project' | 'client';

/**
 * ZITADEL's introspection answer for a token it issued (`internal/api/oidc/introspect.go`
 * `Introspect`):
 *
 * - a PAT has no stored audience: the introspecting client's id — and, in current ZITADEL,
 *   its project id — are appended, and every role key of that project is added to `scope`
 *   (`internal/api/oidc/access_token.go` `assertClientScopesForPAT`; releases before the
 *   token-actor support appended the client id only: `patAudience: 'client'`);
 * - `validateIntrospectionAudience`: unless the audience holds the client id or its project
 *   id, the answer is `{"active": false}` (`audienceCheck: false` skips this, a non-ZITADEL
 *   shape for testing a resource server's own check);
 * - the fields of zitadel/oidc `pkg/oidc/introspection.go` `IntrospectionResponse`: `active`,
 *   `scope` (space-separated), `client_id` (none for a PAT), `token_type: "Bearer"`, `exp`,
 *   `iat`, `auth_time`, `nbf` (= creation), `sub`, `aud`, `amr`, `iss`, `jti`, `username`
 *   (the preferred user name, with `profile`), `act`, and the user-info claims for the
 *   client's own project (`userInfo(..., currentProjectOnly: true)`: both role claims).
 */
export function introspectionAnswer(
  issuer: string,
  record: IssuedTokenRecord,
  directory: Directory,
  user: TestServiceUser,
  client: IntrospectingClient,
  options: { readonly patAudience: PatAudience; readonly audienceCheck: boolean },
): Record<string, unknown> {
  let audience = [...record.audience];
  let scope = [...record.scope];
  if (record.kind === 'personal_access_token') {
    audience = options.patAudience === 'client' ? [...audience, client.clientId] : [...audience, client.clientId, client.projectId];
    scope = [...scope, ...directory.projectRoles().map((role) => `${SCOPES.projectRolePrefix}${role}`)];
  }
  if (options.audienceCheck && !audience.some((aud) => aud === client.clientId || aud === client.projectId)) return { active: false };
  const info = userInfoClaims(directory, user, scope, { projectId: client.projectId, userInfoAssertion: true, currentProjectOnly: true }, record.iat);
  const answer: Record<string, unknown> = {
    active: true,
    scope: scope.join(' '),
    client_id: record.clientId,
    token_type: 'Bearer',
    exp: record.exp,
    iat: record.iat,
    auth_time: record.authTime,
    nbf: record.iat,
    sub: user.userId,
    aud: audience,
    amr: record.amr.length > 0 ? [...record.amr] : undefined,
    iss: issuer,
    jti: record.tokenId,
    username: info['preferred_username'],
    act: record.actor === undefined ? undefined : structuredClone(record.actor),
    ...info,
  };
  for (const [name, value] of Object.entries(answer)) if (value === undefined || value === '') delete answer[name];
  return answer;
}

/** The scopes of a new PAT. */
export function patScopes(): string[] {
  return [...PAT_SCOPES];
}
