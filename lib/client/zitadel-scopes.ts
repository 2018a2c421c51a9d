/**
 * ZITADEL's reserved scopes, as functions: what a service user asks for decides what its
 * token carries. ZITADEL has no custom scopes; everything below is read from its source
 * (`internal/api/oidc/client.go`, `internal/domain/request.go`, `internal/domain/token.go`,
 * `internal/api/oidc/userinfo.go`).
 */
import { invalidOption } from './errors.js';

/** RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function part(value: unknown, helper: string, name: string): string {
  if (typeof value !== 'string' || !SCOPE_TOKEN.test(value)) {
    invalidOption(`zitadelScopes.${helper}(${name}): "${name}" must be a non-empty string without spaces, quotes or backslashes`);
  }
  return value;
}

/** Options of {@link ZitadelScopes.apiAccess}. */
export interface ApiAccessScopeOptions {
  /** Ask for the project's role claim (`urn:zitadel:iam:org:projects:roles`). Default `true`. */
  readonly roles?: boolean;
  /** Ask for the user's organization (`urn:zitadel:iam:user:resourceowner`). Default `true`. */
  readonly organization?: boolean;
}

/** The shape of {@link zitadelScopes}. */
export interface ZitadelScopes {
  /**
   * `urn:zitadel:iam:org:project:id:{projectId}:aud`: puts the project id into the token's
   * `aud` (`internal/domain/token.go` `AddAudScopeToAudience`). Without it a service user's
   * token names only its own client id, and no API of the project accepts it.
   */
  projectAudience(projectId: string): string;
  /**
   * `urn:zitadel:iam:org:project:id:zitadel:aud`: ZITADEL's own project in `aud`, for calling
   * ZITADEL's APIs (`internal/domain/request.go` `ProjectScopeZITADEL`).
   */
  zitadelApiAudience(): string;
  /**
   * `urn:zitadel:iam:org:projects:roles`: every granted role of every project named by a
   * {@link ZitadelScopes.projectAudience} scope, as `urn:zitadel:iam:org:project:{projectId}:roles`
   * (`internal/api/oidc/userinfo.go` `prepareRoles`). Without an audience scope it adds nothing.
   */
  projectRoles(): string;
  /**
   * `urn:zitadel:iam:org:project:role:{roleKey}`: only this role (if granted), in the projects
   * of the audience scopes. Several may be asked for (`userinfo.go` `prepareRoles`).
   */
  projectRole(roleKey: string): string;
  /**
   * `urn:zitadel:iam:user:resourceowner`: the user's organization as
   * `urn:zitadel:iam:user:resourceowner:id`, `:name` and `:primary_domain`
   * (`userinfo.go` `setUserInfoOrgClaims`), which a resource server reads as `organizationId`.
   */
  resourceOwner(): string;
  /**
   * `urn:zitadel:iam:org:id:{organizationId}`: the resource-owner claims plus
   * `urn:zitadel:iam:org:id`; ZITADEL drops the scope when the id is not the user's
   * organization (`userinfo.go` `userInfoToOIDC`, `checkOrgScopes`).
   */
  organization(organizationId: string): string;
  /**
   * `urn:zitadel:iam:org:roles:id:{organizationId}`: only roles granted in this organization
   * (`internal/domain/token.go` `RoleOrgIDsFromScope`). Several may be asked for.
   */
  rolesInOrganization(organizationId: string): string;
  /** `urn:zitadel:iam:user:metadata`: the user's metadata, base64url values (`userinfo.go` `setUserInfoMetadata`). */
  metadata(): string;
  /**
   * The scopes a service user asks for to call an API of `projectId` with roles and
   * organization: `openid`, the project audience, the project roles and the resource owner.
   *
   * @example
   * ```ts
   * zitadelScopes.apiAccess('294800000000000001');
   * // ['openid', 'urn:zitadel:iam:org:project:id:294800000000000001:aud',
   * //  'urn:zitadel:iam:org:projects:roles', 'urn:zitadel:iam:user:resourceowner']
   * ```
   */
  apiAccess(projectId: string, options?: ApiAccessScopeOptions): readonly string[];
}

/**
 * Builders for ZITADEL's reserved scopes. The combination that gives an API roles **and**
 * an organization is {@link ZitadelScopes.apiAccess}:
 * `projectAudience(projectId)` + `projectRoles()` + `resourceOwner()`.
 *
 * @example
 * ```ts
 * import { createTokenSource, zitadelScopes } from 'zitadel-resource-server/client';
 *
 * const tokens = createTokenSource({
 *   issuer: 'https://acme.zitadel.cloud',
 *   scope: zitadelScopes.apiAccess('294800000000000001'),
 *   credentials: { type: 'jwt_profile', keyFile: '/run/secrets/orders-batch.json' },
 * });
 * ```
 */
export const zitadelScopes: ZitadelScopes = Object.freeze({
  projectAudience: (projectId: string): string =>
    `urn:zitadel:iam:org:project:id:${part(projectId, 'projectAudience', 'projectId')}:aud`,
  zitadelApiAudience: (): string => 'urn:zitadel:iam:org:project:id:zitadel:aud',
  projectRoles: (): string => 'urn:zitadel:iam:org:projects:roles',
  projectRole: (roleKey: string): string => `urn:zitadel:iam:org:project:role:${part(roleKey, 'projectRole', 'roleKey')}`,
  resourceOwner: (): string => 'urn:zitadel:iam:user:resourceowner',
  organization: (organizationId: string): string =>
    `urn:zitadel:iam:org:id:${part(organizationId, 'organization', 'organizationId')}`,
  rolesInOrganization: (organizationId: string): string =>
    `urn:zitadel:iam:org:roles:id:${part(organizationId, 'rolesInOrganization', 'organizationId')}`,
  metadata: (): string => 'urn:zitadel:iam:user:metadata',
  apiAccess(projectId: string, options: ApiAccessScopeOptions = {}): readonly string[] {
    const scopes = ['openid', zitadelScopes.projectAudience(projectId)];
    if (options.roles !== false) scopes.push(zitadelScopes.projectRoles());
    if (options.organization !== false) scopes.push(zitadelScopes.resourceOwner());
    return Object.freeze(scopes);
  },
});
