/**
 * What the test issuer knows about its ZITADEL instance: one project (with its API
 * application, the introspection client), organizations, and service users with their role
 * grants. Grants are read when a token is issued (JWT claims) and again at every
 * introspection, so a changed grant shows in the next introspection answer, as in ZITADEL.
 */

/** An organization (ZITADEL: the resource owner of a user, and where roles are granted). */
export interface TestOrganization {
  readonly id: string;
  readonly name: string;
  readonly primaryDomain: string;
}

/** Access token type of a service user (ZITADEL's console setting; opaque is the default). */
export type AccessTokenType = 'bearer' | 'jwt';

/** A ZITADEL service (machine) user of the test issuer. */
export interface TestServiceUser {
  /** The user id: `sub` of its tokens. */
  readonly userId: string;
  /** The user name: `client_id` of its tokens, and its client id for client credentials. */
  readonly username: string;
  /** Display name (`name` in introspection answers with the `profile` scope). */
  readonly name: string;
  /** Its organization (`urn:zitadel:iam:user:resourceowner:*`). */
  readonly organization: TestOrganization;
  /** `'bearer'` (opaque, ZITADEL's default) or `'jwt'`. */
  readonly accessTokenType: AccessTokenType;
}

/** Role grants: role key → organization ids it is granted in. */
export type RoleGrants = Readonly<Record<string, readonly string[]>>;

/** Options of {@link TestIssuer.createServiceUser}. */
export interface TestServiceUserOptions {
  /** Default: a fresh 18-digit id. */
  userId?: string;
  /** Default: `service-user-<userId>`. */
  username?: string;
  /** Default: the user name. */
  name?: string;
  /**
   * The user's organization: an id, or the organization itself. Default: the issuer's default
   * organization (`100000000000000001`).
   */
  organization?: string | Partial<TestOrganization>;
  /**
   * Roles granted in the issuer's project: role keys (granted in the user's organization) or
   * role key → organization ids.
   */
  roles?: readonly string[] | RoleGrants;
  /** Grants in other projects: project id → role key → organization ids. */
  projectGrants?: Readonly<Record<string, RoleGrants>>;
  /** Default `'bearer'` (opaque). */
  accessTokenType?: AccessTokenType;
}

/** The default organization of the test issuer. */
export const DEFAULT_ORGANIZATION: TestOrganization = Object.freeze({
  id: '100000000000000001',
  name: 'Test Organization',
  primaryDomain: 'org-100000000000000001.test-issuer.localhost',
});

/** The primary domain the issuer gives an organization it was told nothing about. */
export function organizationDomain(organizationId: string): string {
  return `org-${organizationId}.test-issuer.localhost`;
}

type Grants = Map<string, Map<string, Set<string>>>;

interface UserEntry {
  readonly user: TestServiceUser;
  grants: Grants;
}

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || /\s/.test(value)) {
    throw new TypeError(`${what} must be a non-empty string without spaces`);
  }
  return value;
}

/** The issuer's project, organizations, users and grants. */
export class Directory {
  readonly projectId: string;
  readonly #projectRoles: Set<string>;
  readonly #orgs = new Map<string, TestOrganization>([[DEFAULT_ORGANIZATION.id, DEFAULT_ORGANIZATION]]);
  readonly #users = new Map<string, UserEntry>();
  readonly #byUsername = new Map<string, string>();

  constructor(projectId: string, projectRoles: readonly string[]) {
    this.projectId = projectId;
    this.#projectRoles = new Set(projectRoles);
  }

  /** Role keys defined in the project: declared ones plus every key ever granted in it. */
  projectRoles(): string[] {
    return [...this.#projectRoles];
  }

  /** An organization by id; one the issuer was not told about gets a made-up name and domain. */
  organization(id: string): TestOrganization {
    return this.#orgs.get(id) ?? { id, name: `Organization ${id}`, primaryDomain: organizationDomain(id) };
  }

  addUser(options: TestServiceUserOptions, userId: string): TestServiceUser {
    if (this.#users.has(userId)) throw new TypeError(`createServiceUser: user id "${userId}" already exists`);
    const username = options.username === undefined ? `service-user-${userId}` : nonEmpty(options.username, 'createServiceUser "username"');
    if (this.#byUsername.has(username)) throw new TypeError(`createServiceUser: user name "${username}" already exists`);
    const organization = this.#resolveOrganization(options.organization);
    const accessTokenType = options.accessTokenType ?? 'bearer';
    if (accessTokenType !== 'bearer' && accessTokenType !== 'jwt') {
      throw new TypeError('createServiceUser "accessTokenType" must be "bearer" or "jwt"');
    }
    const user: TestServiceUser = Object.freeze({
      userId,
      username,
      name: options.name ?? username,
      organization,
      accessTokenType,
    });
    const entry: UserEntry = { user, grants: new Map() };
    this.#users.set(userId, entry);
    this.#byUsername.set(username, userId);
    if (options.roles !== undefined) this.setRoles(userId, options.roles);
    for (const [projectId, roles] of Object.entries(options.projectGrants ?? {})) this.setRoles(userId, roles, projectId);
    return user;
  }

  user(userId: string): TestServiceUser | undefined {
    return this.#users.get(userId)?.user;
  }

  userByName(username: string): TestServiceUser | undefined {
    const userId = this.#byUsername.get(username);
    return userId === undefined ? undefined : this.user(userId);
  }

  /** Replaces the user's grants in `projectId` (default: the issuer's project). */
  setRoles(userId: string, roles: readonly string[] | RoleGrants, projectId: string = this.projectId): void {
    const entry = this.#users.get(userId);
    if (entry === undefined) throw new TypeError(`setRoles: unknown user id "${userId}"`);
    const grants = new Map<string, Set<string>>();
    const pairs: [string, readonly string[]][] = Array.isArray(roles)
      ? (roles as readonly string[]).map((role) => [role, [entry.user.organization.id]])
      : Object.entries(roles as RoleGrants);
    for (const [role, orgIds] of pairs) {
      nonEmpty(role, 'setRoles: a role key');
      if (!Array.isArray(orgIds)) throw new TypeError(`setRoles: roles["${role}"] must be an array of organization ids`);
      if (orgIds.length === 0) continue;
      grants.set(role, new Set(orgIds.map((id: unknown) => nonEmpty(id, `setRoles: roles["${role}"] entries`))));
      if (projectId === this.projectId) this.#projectRoles.add(role);
    }
    entry.grants.set(projectId, grants);
  }

  /**
   * The user's granted roles in `projectId`: role → (organization id → primary domain),
   * restricted to `organizationIds` when given.
   */
  grantedRoles(userId: string, projectId: string, organizationIds: readonly string[] = []): Map<string, Map<string, string>> {
    const granted = new Map<string, Map<string, string>>();
    const grants = this.#users.get(userId)?.grants.get(projectId);
    if (grants === undefined) return granted;
    for (const [role, orgIds] of grants) {
      const orgs = new Map<string, string>();
      for (const orgId of orgIds) {
        if (organizationIds.length === 0 || organizationIds.includes(orgId)) orgs.set(orgId, this.organization(orgId).primaryDomain);
      }
      if (orgs.size > 0) granted.set(role, orgs);
    }
    return granted;
  }

  #resolveOrganization(input: string | Partial<TestOrganization> | undefined): TestOrganization {
    if (input === undefined) return DEFAULT_ORGANIZATION;
    if (typeof input === 'string') return this.organization(nonEmpty(input, 'createServiceUser "organization"'));
    const id = nonEmpty(input.id, 'createServiceUser "organization.id"');
    const org: TestOrganization = Object.freeze({
      id,
      name: input.name ?? this.organization(id).name,
      primaryDomain: input.primaryDomain ?? this.organization(id).primaryDomain,
    });
    this.#orgs.set(id, org);
    return org;
  }
}
