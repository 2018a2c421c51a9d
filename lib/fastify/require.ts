import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { activeTokenRule, anyScopesRule, createRoute, ResourceServerOptionsError, rolesRule, scopesRule } from '../core/kernel/index.js';
import type { OrganizationSelector, RouteRule } from '../core/kernel/index.js';
import { DECISION, SERVER, settleDecision } from './request.js';
import type { HeldRequest } from './request.js';

/** A preHandler (or route-level onRequest) hook made by the `require*()` factories. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** Options of {@link requireRole}. */
export interface RoleOptions {
  /**
   * Count the role only when it is granted in this organization: a fixed id, `'own'` (the
   * caller's own organization), or a function of the request (e.g. `(req) => req.params.orgId`).
   */
  readonly org?: OrganizationSelector<FastifyRequest>;
}

/** Hands one rule to the request's decision (the one the plugin made): translation only. */
function ruleHook(rule: RouteRule<FastifyRequest>, name: string): AuthHook {
  const route = createRoute({ rules: [rule], open: true });
  return (request: HeldRequest, reply, done) => {
    const server = request[SERVER];
    const decision = request[DECISION];
    if (server === undefined || decision === undefined) {
      done(new ResourceServerOptionsError(`${name} must run on a route the resourceServer plugin protects (in its scope, not public)`));
      return;
    }
    settleDecision(request, reply, done, server.refine(decision, route));
  };
}

/**
 * Requires every one of `scopes` (403 `insufficient_scope` naming them otherwise).
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * app.get('/orders', { preHandler: requireScope('orders:read') }, async () => ({ orders: [] }));
 */
export function requireScope(...scopes: string[]): AuthHook {
  return ruleHook(scopesRule(scopes, 'requireScope()'), 'requireScope()');
}

/**
 * Requires at least one of `scopes`.
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * app.get('/reports', { preHandler: requireAnyScope('reports:read', 'reports:admin') }, async () => ({ reports: [] }));
 */
export function requireAnyScope(...scopes: string[]): AuthHook {
  return ruleHook(anyScopesRule(scopes, 'requireAnyScope()'), 'requireAnyScope()');
}

/**
 * Requires any one of `roles` (ZITADEL project roles), optionally granted in a given
 * organization. Pass options as the last argument.
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * const orgOf = (request: { params: unknown }) => (request.params as { orgId: string }).orgId;
 * app.post('/orgs/:orgId/orders', { preHandler: requireRole('orders.write', { org: orgOf }) }, async () => ({ created: true }));
 */
export function requireRole(...args: [...string[], RoleOptions] | string[]): AuthHook {
  const last = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null;
  const options: RoleOptions = hasOptions ? (last as RoleOptions) : {};
  const roles = hasOptions ? args.slice(0, -1) : args;
  return ruleHook(rolesRule(roles, options.org, 'requireRole()'), 'requireRole()');
}

/**
 * The route always introspects the token (JWTs too, answers at most 1 s old), so a
 * revoked token or a removed role is refused at once. Needs `introspection`.
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * app.delete('/orders/:id', { preHandler: [requireActiveToken(), requireRole('orders.admin')] }, async () => ({ deleted: true }));
 */
export function requireActiveToken(): AuthHook {
  return ruleHook(activeTokenRule(), 'requireActiveToken()');
}
