import type { KeyObject } from 'node:crypto';

/** ZITADEL's reserved scopes and claim names, as they appear on the wire. */
export const ZITADEL = {
  projectAudienceScope: (projectId: string): string => `urn:zitadel:iam:org:project:id:${projectId}:aud`,
  zitadelAudienceScope: 'urn:zitadel:iam:org:project:id:zitadel:aud',
  roleScope: (role: string): string => `urn:zitadel:iam:org:project:role:${role}`,
  rolePrefix: 'urn:zitadel:iam:org:project:role:',
  projectsRolesScope: 'urn:zitadel:iam:org:projects:roles',
  resourceOwnerScope: 'urn:zitadel:iam:user:resourceowner',
  metadataScope: 'urn:zitadel:iam:user:metadata',
  rolesClaim: 'urn:zitadel:iam:org:project:roles',
  projectRolesClaim: (projectId: string): string => `urn:zitadel:iam:org:project:${projectId}:roles`,
  resourceOwnerIdClaim: 'urn:zitadel:iam:user:resourceowner:id',
  resourceOwnerNameClaim: 'urn:zitadel:iam:user:resourceowner:name',
  resourceOwnerDomainClaim: 'urn:zitadel:iam:user:resourceowner:primary_domain',
} as const;

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
}

export type AccessTokenType = 'jwt' | 'opaque';

/** A ZITADEL service (machine) user and the OAuth client that represents it here. */
export interface ServiceUser {
  readonly userId: string;
  readonly username: string;
  /** `client_id` of the tokens it gets: its user id (JWT profile) or its username (client credentials). */
  readonly clientId: string;
  readonly orgId: string;
  readonly grant: 'jwtProfile' | 'clientCredentials';
  /** The key it signs JWT profile assertions with (JWT profile users only). */
  readonly key?: { readonly keyId: string; readonly publicKey: KeyObject };
}

export interface DirectorySetup {
  readonly projectId: string;
  readonly apiClientId: string;
  readonly roles: readonly string[];
  readonly organizations: readonly Organization[];
  readonly users: readonly ServiceUser[];
}

type Grants = Map<string, Set<string>>;

/**
 * The issuer's state: the project, its roles, orgs, service users, their role grants and their
 * access token type. Role claims are computed from it on every call, so a `setRoles` shows up
 * in the next introspection, as it does in ZITADEL.
 */
export class Directory {
  readonly projectId: string;
  readonly apiClientId: string;
  readonly roles: readonly string[];
  readonly #orgs: Map<string, Organization>;
  readonly #users: Map<string, ServiceUser>;
  readonly #byClientId: Map<string, ServiceUser>;
  readonly #grants = new Map<string, Grants>();
  readonly #tokenTypes = new Map<string, AccessTokenType>();

  constructor(setup: DirectorySetup) {
    this.projectId = setup.projectId;
    this.apiClientId = setup.apiClientId;
    this.roles = [...setup.roles];
    this.#orgs = new Map(setup.organizations.map((org) => [org.id, org]));
    this.#users = new Map(setup.users.map((user) => [user.userId, user]));
    this.#byClientId = new Map(setup.users.map((user) => [user.clientId, user]));
  }

  get users(): readonly ServiceUser[] {
    return [...this.#users.values()];
  }

  user(userId: string): ServiceUser | undefined {
    return this.#users.get(userId);
  }

  userByClientId(clientId: string): ServiceUser | undefined {
    return this.#byClientId.get(clientId);
  }

  /** Replaces all project role grants of a user: `{ role: [orgId, ...] }`; an empty list removes the role. */
  setRoles(userId: string, roles: Record<string, readonly string[]>): void {
    this.#requireUser(userId, 'setRoles');
    const grants: Grants = new Map();
    for (const [role, orgIds] of Object.entries(roles)) {
      if (!this.roles.includes(role)) {
        throw new TypeError(`setRoles: "${role}" is not a role of project ${this.projectId} (${this.roles.join(', ')})`);
      }
      if (!Array.isArray(orgIds)) {
        throw new TypeError(`setRoles: roles["${role}"] must be an array of organization ids`);
      }
      for (const orgId of orgIds) {
        if (!this.#orgs.has(orgId)) {
          throw new TypeError(`setRoles: "${orgId}" is not a known organization id (${[...this.#orgs.keys()].join(', ')})`);
        }
      }
      if (orgIds.length > 0) {
        grants.set(role, new Set(orgIds));
      }
    }
    this.#grants.set(userId, grants);
  }

  setAccessTokenType(userId: string, type: AccessTokenType): void {
    this.#requireUser(userId, 'setAccessTokenType');
    if (type !== 'jwt' && type !== 'opaque') {
      throw new TypeError(`setAccessTokenType: type must be 'jwt' or 'opaque', got ${String(type)}`);
    }
    this.#tokenTypes.set(userId, type);
  }

  accessTokenType(userId: string): AccessTokenType {
    return this.#tokenTypes.get(userId) ?? 'opaque';
  }

  /**
   * Role claims as ZITADEL writes them (`internal/api/oidc/userinfo.go` `prepareRoles`,
   * `assertRoles`, `setUserInfoRoleClaims`), `{ role: { orgId: orgDomain } }`, for the roles
   * granted now:
   *
   * - in a service user's access token (`mode: 'token'`; the JWT profile and client credentials
   *   grants have no project of their own): only `urn:zitadel:iam:org:project:{projectId}:roles`,
   *   and only when the roles scope (`urn:zitadel:iam:org:projects:roles` or a
   *   `urn:zitadel:iam:org:project:role:{key}` scope) comes with this project's audience scope;
   * - in an introspection answer to this project's API application (`mode: 'introspection'`,
   *   `currentProjectOnly`): the project's roles under both names, whatever the scope.
   *
   * Requested role scopes narrow the roles to those keys. `{}` when nothing is granted.
   */
  roleClaims(userId: string, scopes: ReadonlySet<string>, mode: 'token' | 'introspection'): Record<string, unknown> {
    const grants = this.#grants.get(userId);
    if (!grants || grants.size === 0) {
      return {};
    }
    const requested = [...scopes].filter((scope) => scope.startsWith(ZITADEL.rolePrefix)).map((scope) => scope.slice(ZITADEL.rolePrefix.length));
    if (mode === 'token') {
      const asksRoles = requested.length > 0 || scopes.has(ZITADEL.projectsRolesScope);
      if (!asksRoles || !scopes.has(ZITADEL.projectAudienceScope(this.projectId))) {
        return {};
      }
    }
    const roles: Record<string, Record<string, string>> = {};
    for (const [role, orgIds] of grants) {
      if (requested.length > 0 && !requested.includes(role)) {
        continue;
      }
      roles[role] = Object.fromEntries([...orgIds].map((orgId) => [orgId, this.#orgs.get(orgId)?.domain ?? '']));
    }
    if (Object.keys(roles).length === 0) {
      return {};
    }
    const claims: Record<string, unknown> = { [ZITADEL.projectRolesClaim(this.projectId)]: roles };
    if (mode === 'introspection') {
      claims[ZITADEL.rolesClaim] = structuredClone(roles);
    }
    return claims;
  }

  /**
   * The user's organization, only with the resource-owner scope: id, name and primary domain
   * (`internal/api/oidc/userinfo.go` `userInfoToOIDC`, `setUserInfoOrgClaims`).
   */
  resourceOwnerClaims(userId: string, scopes: ReadonlySet<string>): Record<string, unknown> {
    const user = this.#users.get(userId);
    const org = user ? this.#orgs.get(user.orgId) : undefined;
    if (!org || !scopes.has(ZITADEL.resourceOwnerScope)) {
      return {};
    }
    return {
      [ZITADEL.resourceOwnerIdClaim]: org.id,
      [ZITADEL.resourceOwnerNameClaim]: org.name,
      [ZITADEL.resourceOwnerDomainClaim]: org.domain,
    };
  }

  /** Scopes a token may carry here: ZITADEL's reserved scopes for this project. */
  supportedScopes(): string[] {
    return [
      'openid',
      'profile',
      'email',
      ZITADEL.projectAudienceScope(this.projectId),
      ZITADEL.zitadelAudienceScope,
      ZITADEL.projectsRolesScope,
      ZITADEL.resourceOwnerScope,
      ZITADEL.metadataScope,
      ...this.roles.map(ZITADEL.roleScope),
    ];
  }

  /**
   * ZITADEL's stored audience: the project id when the project audience scope was asked for,
   * else none (`internal/domain/token.go` `AddAudScopeToAudience`; no client id is added — a
   * JWT then names its client, zitadel/oidc `NewAccessTokenClaims`).
   */
  audience(scopes: ReadonlySet<string>): string[] {
    return scopes.has(ZITADEL.projectAudienceScope(this.projectId)) ? [this.projectId] : [];
  }

  #requireUser(userId: string, method: string): ServiceUser {
    const user = this.#users.get(userId);
    if (!user) {
      throw new TypeError(`${method}: unknown user id "${userId}" (known: ${[...this.#users.keys()].join(', ')})`);
    }
    return user;
  }
}

export function scopeSet(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(' ').filter(Boolean));
}
