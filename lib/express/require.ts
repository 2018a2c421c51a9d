import type { Request } from 'express';
import { createRoute, ResourceServerOptionsError } from '../core/kernel/index.js';
import type { OrganizationSelector, RouteRule } from '../core/kernel/index.js';
import { heldOf, settleDecision } from './handler.js';
import type { Middleware, ProtectedRequest } from './handler.js';

/** Options of {@link requireRole}. */
export interface RoleOptions {
  /**
   * Count the role only when it is granted in this organization: a fixed id, `'own'` (the
   * caller's own organization), or a function of the request (e.g. `(req) => req.params.orgId`).
   */
  readonly org?: OrganizationSelector<Request>;
}

/** Hands one rule to the request's decision (the one `protect()` made): translation only. */
function ruleMiddleware(rule: RouteRule<Request>): Middleware {
  const route = createRoute({ rules: [rule as RouteRule], open: true });
  return (req, res, next) => {
    const entry = heldOf(req);
    const decision = entry?.decision;
    if (entry === undefined || decision === undefined) {
      next(new ResourceServerOptionsError('require*() middleware must run after protect(): app.use(protect(rs)) first, or protect(rs) earlier in the route'));
      return;
    }
    settleDecision(req, res, next, entry, entry.state.server.refine(decision, route));
  };
}

function names(list: readonly string[], fn: string): readonly string[] {
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new ResourceServerOptionsError(`${fn}() needs at least one non-empty name`);
  }
  return Object.freeze([...list]);
}

/**
 * Requires every one of `scopes` (403 `insufficient_scope` naming them otherwise).
 *
 * @example
 * app.get('/orders', protect(rs), requireScope('orders:read'), handler);
 */
export function requireScope(...scopes: string[]): Middleware {
  return ruleMiddleware({ requirement: { scopes: names(scopes, 'requireScope') } });
}

/**
 * Requires at least one of `scopes`.
 *
 * @example
 * app.get('/reports', protect(rs), requireAnyScope('reports:read', 'reports:admin'), handler);
 */
export function requireAnyScope(...scopes: string[]): Middleware {
  return ruleMiddleware({ requirement: { anyScopes: names(scopes, 'requireAnyScope') } });
}

/**
 * Requires any one of `roles` (ZITADEL project roles), optionally granted in a given
 * organization. Pass options as the last argument.
 *
 * @example
 * app.post('/orgs/:orgId/orders', protect(rs), requireRole('orders.write', { org: (req) => req.params.orgId }), handler);
 */
export function requireRole(...args: [...string[], RoleOptions] | string[]): Middleware {
  const last = args[args.length - 1];
  const options: RoleOptions = typeof last === 'object' && last !== null ? (last as RoleOptions) : {};
  const roles = names((args as (string | RoleOptions)[]).filter((a): a is string => typeof a === 'string'), 'requireRole');
  return ruleMiddleware({ requirement: { roles: [{ anyOf: roles }] }, ...(options.org === undefined ? {} : { organization: options.org }) });
}

/**
 * The route always introspects the token (JWTs too, answers at most 1 s old), so a
 * revoked token or a removed role is refused at once. Needs `introspection`.
 *
 * @example
 * app.delete('/orders/:id', protect(rs), requireActiveToken(), requireRole('orders.admin'), handler);
 */
export function requireActiveToken(): Middleware {
  return ruleMiddleware({ requirement: { activeToken: true } });
}

export type { ProtectedRequest };
