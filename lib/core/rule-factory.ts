import { ResourceServerOptionsError } from './errors.js';
import type { OrganizationSelector, RouteRule } from './route-rule.js';

/**
 * Route rules from the names an adapter was given (`requireScope('a')`, `@RequireRole('x')`,
 * Fastify's `config.auth`): one validation, one shape, whichever way a route declares its
 * policy. `where` names the declaration in error messages (`'requireScope()'`,
 * `'"config.auth.scopes"'`).
 */

/** A frozen copy of a non-empty list of non-empty names; throws naming `where` otherwise. */
export function ruleNames(list: unknown, where: string): readonly string[] {
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new ResourceServerOptionsError(`${where} needs at least one non-empty name`);
  }
  return Object.freeze([...(list as string[])]);
}

/**
 * Every one of `scopes`.
 *
 * @example
 * scopesRule(['orders:read'], 'requireScope()') // { requirement: { scopes: ['orders:read'] } }
 */
export function scopesRule<Req>(scopes: unknown, where: string): RouteRule<Req> {
  return { requirement: { scopes: ruleNames(scopes, where) } };
}

/** At least one of `scopes`. */
export function anyScopesRule<Req>(scopes: unknown, where: string): RouteRule<Req> {
  return { requirement: { anyScopes: ruleNames(scopes, where) } };
}

/**
 * Any one of `roles`, counted only where granted in `organization` when one is given (an
 * id, `'own'`, or a function of the framework's request).
 *
 * @example
 * rolesRule<{ params: { orgId: string } }>(['orders.write'], (req) => req.params.orgId, 'requireRole()')
 */
export function rolesRule<Req>(roles: unknown, organization: OrganizationSelector<Req> | undefined, where: string): RouteRule<Req> {
  const anyOf = ruleNames(roles, where);
  if (organization === undefined) return { requirement: { roles: [{ anyOf }] } };
  if (typeof organization !== 'function' && (typeof organization !== 'string' || organization === '')) {
    throw new ResourceServerOptionsError(`${where}: the organization must be an id, 'own', or a function of the request`);
  }
  return { requirement: { roles: [{ anyOf }] }, organization };
}

/** Always introspect (revocations and role changes count at once). */
export function activeTokenRule<Req>(): RouteRule<Req> {
  return ACTIVE_TOKEN;
}

const ACTIVE_TOKEN: RouteRule = Object.freeze({ requirement: Object.freeze({ activeToken: true }) });
