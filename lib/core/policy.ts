import { InsufficientScopeError } from './errors.js';
import type { Principal } from './principal.js';

/** A role requirement: any one of `roles`, optionally only where granted in `organizationId`. */
export interface RoleRequirement {
  readonly anyOf: readonly string[];
  /**
   * Count a role only when it is granted in this organization. A function is resolved by
   * the framework adapter from the request (e.g. the organization owning the resource).
   */
  readonly organizationId?: string | undefined;
}

/** A custom check; return `false` to refuse with 403. */
export type PolicyPredicate = (principal: Principal) => boolean | Promise<boolean>;

/**
 * What one route (or one decorator on it) requires. Several requirements on a route all
 * apply: a method's requirement narrows its controller's, never widens it.
 */
export interface Requirement {
  /** All of these scopes. */
  readonly scopes?: readonly string[];
  /** At least one of these scopes. */
  readonly anyScopes?: readonly string[];
  /** Roles (each entry: any one of its roles). */
  readonly roles?: readonly RoleRequirement[];
  /** Always introspect, so revocations and role changes count at once. */
  readonly activeToken?: boolean;
  /** Custom checks, each must return true. */
  readonly predicates?: readonly PolicyPredicate[];
}

/** True when any of the requirements asks something of the token's scopes. */
export function needsScopes(requirements: readonly Requirement[]): boolean {
  return requirements.some((r) => (r.scopes?.length ?? 0) > 0 || (r.anyScopes?.length ?? 0) > 0);
}

/** True when any of the requirements demands a live introspection. */
export function needsActiveToken(requirements: readonly Requirement[]): boolean {
  return requirements.some((r) => r.activeToken === true);
}

/**
 * Checks a principal against a requirement; throws {@link InsufficientScopeError} (403)
 * naming what is missing. Deny by default: an empty role list grants nothing.
 */
export async function evaluateRequirement(principal: Principal, requirement: Requirement): Promise<void> {
  checkRequirement(principal, requirement);
  for (const predicate of requirement.predicates ?? []) {
    if ((await predicate(principal)) !== true) {
      throw new InsufficientScopeError('ERR_POLICY_DENIED', 'The route policy refused this caller');
    }
  }
}

/** The synchronous part of {@link evaluateRequirement}: scopes and roles, not predicates. */
export function checkRequirement(principal: Principal, requirement: Requirement): void {
  const granted = principal.scopes;
  const required = requirement.scopes;
  if (required !== undefined && required.length > 0) {
    const missing = required.filter((scope) => !granted.includes(scope));
    if (missing.length > 0) {
      throw new InsufficientScopeError('ERR_SCOPE_INSUFFICIENT', `Missing scope: ${missing.join(' ')}`, required);
    }
  }
  const anyOf = requirement.anyScopes ?? [];
  if (anyOf.length > 0 && !anyOf.some((scope) => granted.includes(scope))) {
    throw new InsufficientScopeError('ERR_SCOPE_INSUFFICIENT', `One of these scopes is required: ${anyOf.join(' ')}`, anyOf);
  }
  for (const role of requirement.roles ?? []) {
    if (!hasAnyRole(principal, role)) {
      const where = role.organizationId === undefined ? '' : ` in organization ${role.organizationId}`;
      throw new InsufficientScopeError('ERR_ROLE_INSUFFICIENT', `Missing role: one of ${role.anyOf.join(', ')}${where}`);
    }
  }
}

function hasAnyRole(principal: Principal, requirement: RoleRequirement): boolean {
  const { roles } = principal;
  for (const role of requirement.anyOf) {
    if (!Object.hasOwn(roles, role)) continue;
    if (requirement.organizationId === undefined || roles[role]!.includes(requirement.organizationId)) return true;
  }
  return false;
}
