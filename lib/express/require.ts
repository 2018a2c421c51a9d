import { MissingTokenError } from '../core/errors.js';
import type { Requirement } from '../core/policy.js';
import { FAST_AUTHORIZE } from '../core/resource-server.js';
import { bindRule } from '../core/route-rule.js';
import type { OrganizationSelector, RouteRule } from '../core/route-rule.js';
import { AUTH_STATE, refuse } from './handler.js';
import type { Middleware, ProtectedRequest } from './handler.js';

/** Options of {@link requireRole}. */
export interface RoleOptions {
  /**
   * Count the role only when it is granted in this organization: a fixed id, `'own'` (the
   * caller's own organization), or a function of the request (e.g. `(req) => req.params.orgId`).
   */
  readonly org?: OrganizationSelector<ProtectedRequest>;
}

function ruleMiddleware(rule: RouteRule<ProtectedRequest>): Middleware {
  // A rule without an organization function is the same on every request: bind it once.
  const fixed: readonly Requirement[] | undefined = rule.organization === undefined ? [rule.requirement] : undefined;
  return (req, res, next) => {
    const state = req[AUTH_STATE];
    if (!state) {
      next(new TypeError('require*() middleware must run after protect()'));
      return;
    }
    const principal = req.auth;
    if (!principal) {
      refuse(req, res, next, new MissingTokenError());
      return;
    }
    const requirements = fixed ?? [bindRule(rule, principal, req)];
    try {
      const allowed = state.server[FAST_AUTHORIZE]?.(principal, requirements);
      if (allowed) {
        req.auth = allowed;
        next();
        return;
      }
    } catch (error) {
      refuse(req, res, next, error);
      return;
    }
    state.server.authorize(principal, requirements).then(
      (allowed) => {
        req.auth = allowed;
        next();
      },
      (error: unknown) => refuse(req, res, next, error),
    );
  };
}

function names(list: readonly string[], fn: string): readonly string[] {
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError(`${fn}() needs at least one non-empty name`);
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

/** Requires at least one of `scopes`. */
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
 */
export function requireActiveToken(): Middleware {
  return ruleMiddleware({ requirement: { activeToken: true } });
}
