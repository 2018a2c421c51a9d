import type { Principal } from './principal.js';
import type { Requirement } from './policy.js';

/**
 * Which organization a role must be granted in: a fixed organization id, `'own'` (the
 * caller's own organization), or a function of the framework's request (e.g. the
 * organization that owns the resource: `(req) => req.params.orgId`).
 */
export type OrganizationSelector<Req = unknown> = string | 'own' | ((request: Req) => OrganizationId);

/**
 * What a selector function returns: the organization id, a string. Anything else — no value,
 * an empty string, a list (Express 5 types route parameters as `string | string[]`) — matches
 * no grant: deny.
 */
export type OrganizationId = string | undefined | unknown;

/** One decorator's or middleware's contribution to a route's policy. */
export interface RouteRule<Req = unknown> {
  readonly requirement: Requirement;
  /** For role requirements: where the role must be granted, resolved per request. */
  readonly organization?: OrganizationSelector<Req>;
}

/**
 * The requirement of a rule for this request. An organization that cannot be determined
 * (no caller organization, the function returns nothing) matches no grant: deny.
 */
export function bindRule<Req>(rule: RouteRule<Req>, principal: Principal, request: Req): Requirement {
  const selector = rule.organization;
  if (selector === undefined || !rule.requirement.roles) return rule.requirement;
  let organizationId: unknown;
  if (selector === 'own') organizationId = principal.organizationId;
  else if (typeof selector === 'function') organizationId = selector(request);
  else organizationId = selector;
  const id = typeof organizationId === 'string' && organizationId !== '' ? organizationId : '\u0000none';
  return { ...rule.requirement, roles: rule.requirement.roles.map((role) => ({ ...role, organizationId: id })) };
}
