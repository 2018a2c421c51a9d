import type { FastifyRequest } from 'fastify';
import { activeTokenRule, anyScopesRule, createRoute, ResourceServerOptionsError, rolesRule, scopesRule } from '../core/kernel/index.js';
import type { OrganizationSelector, Route, RouteRule } from '../core/kernel/index.js';

/**
 * What a route asks of its callers, as `config: { auth: { … } }` in its route options.
 * A route without `auth` needs a valid token (deny by default). The requirements all hold
 * together; `require*()` preHandlers on the route add more.
 *
 * | `auth` | the route |
 * |---|---|
 * | absent, `{}` | any valid token |
 * | `{ scopes: ['a', 'b'] }` | every one of the scopes (403 `insufficient_scope` naming them) |
 * | `{ anyScopes: ['a', 'b'] }` | at least one of the scopes |
 * | `{ roles: ['x', 'y'] }` | any one of the roles; with `roleOrg`, granted in that organization |
 * | `{ activeToken: true }` | the token is introspected on every request (revocations count at once) |
 * | `{ optional: true }` | optional authentication: never refused; `request.auth` is the caller when the token is valid (Nest's `@Public()`) |
 * | `{ public: true }` | left alone: no token is read, nothing is decided or audited, `request.auth` is undefined |
 * | `{ auditAllowed: false }` | with any of the above but `public`: allowed calls produce no audit event (refusals and 503s still do); `true`: every one does, whatever the `auditAllowed` option's rate |
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * await app.register(resourceServer, { server: rs });
 * app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async () => ({ orders: [] }));
 * app.post('/orgs/:orgId/orders', { config: { auth: { roles: ['orders.write'], roleOrg: (req) => (req.params as { orgId: string }).orgId } } }, async () => ({ created: true }));
 * app.get('/status', { config: { auth: { optional: true } } }, async (request) => ({ caller: request.auth?.subject ?? null }));
 */
export interface RouteAuthConfig {
  /** No authentication at all (health checks, documents): the plugin does not touch the request. */
  readonly public?: boolean;
  /** Optional authentication: a missing, malformed or invalid token is ignored. Takes no requirement. */
  readonly optional?: boolean;
  /** Every one of these scopes. */
  readonly scopes?: readonly string[];
  /** At least one of these scopes. */
  readonly anyScopes?: readonly string[];
  /** Any one of these roles (ZITADEL project roles). */
  readonly roles?: readonly string[];
  /** Where `roles` must be granted: an organization id, `'own'` (the caller's), or a function of the request. */
  readonly roleOrg?: OrganizationSelector<FastifyRequest>;
  /** Always introspect the token (needs `introspection`): a revoked token or removed role is refused at once. */
  readonly activeToken?: boolean;
  /** `false`: no audit event for allowed calls (probes, optional routes); `true`: every one. Default: the `auditAllowed` option. */
  readonly auditAllowed?: boolean;
}

const KEYS: ReadonlySet<string> = new Set(['public', 'optional', 'scopes', 'anyScopes', 'roles', 'roleOrg', 'activeToken', 'auditAllowed']);
/** Any valid token; `require*()` preHandlers may follow, so allows are audited when the request settles. */
const AUTHENTICATED: Route<FastifyRequest> = createRoute({ open: true });

/**
 * The compiled policy of each route, keyed by its `config.auth` object: compiled once per
 * route (when it is registered, or on its first request), never per request.
 */
export class RouteConfigs {
  readonly #routes = new WeakMap<object, Route<FastifyRequest> | null>();

  /** The route's policy; `null` for a public route. Throws a {@link ResourceServerOptionsError} for a bad `auth`. */
  routeOf(auth: unknown): Route<FastifyRequest> | null {
    if (auth === undefined) return AUTHENTICATED;
    if (auth === null || typeof auth !== 'object' || Array.isArray(auth)) {
      throw new ResourceServerOptionsError('route option "config.auth" must be an object: { public?, optional?, scopes?, anyScopes?, roles?, roleOrg?, activeToken? }');
    }
    let route = this.#routes.get(auth);
    if (route === undefined) {
      route = compile(auth as RouteAuthConfig);
      this.#routes.set(auth, route);
    }
    return route;
  }
}

function compile(auth: RouteAuthConfig): Route<FastifyRequest> | null {
  const unknown = Object.keys(auth).find((key) => !KEYS.has(key));
  if (unknown !== undefined) throw new ResourceServerOptionsError(`route option "config.auth.${unknown}" is unknown: use ${[...KEYS].join(', ')}`);
  const rules: RouteRule<FastifyRequest>[] = [];
  if (auth.scopes !== undefined) rules.push(scopesRule(auth.scopes, 'route option "config.auth.scopes"'));
  if (auth.anyScopes !== undefined) rules.push(anyScopesRule(auth.anyScopes, 'route option "config.auth.anyScopes"'));
  if (auth.roles !== undefined) rules.push(rolesRule(auth.roles, auth.roleOrg, 'route option "config.auth.roles"'));
  else if (auth.roleOrg !== undefined) throw new ResourceServerOptionsError('route option "config.auth.roleOrg" needs "roles"');
  if (flag(auth, 'activeToken')) rules.push(activeTokenRule());
  const optional = flag(auth, 'optional');
  if (flag(auth, 'public')) {
    if (Object.keys(auth).length > 1) throw new ResourceServerOptionsError('route option "config.auth.public" takes no other auth option: a public route checks nothing');
    return null;
  }
  if (optional && rules.length > 0) {
    throw new ResourceServerOptionsError('route option "config.auth.optional" checks no requirement: drop scopes, roles and activeToken, or drop optional');
  }
  const auditAllowed = auth.auditAllowed === undefined ? undefined : flag(auth, 'auditAllowed');
  return createRoute({ optional, open: true, rules, ...(auditAllowed === undefined ? {} : { auditAllowed }) });
}

function flag(auth: RouteAuthConfig, name: 'public' | 'optional' | 'activeToken' | 'auditAllowed'): boolean {
  const value = auth[name];
  if (value !== undefined && typeof value !== 'boolean') throw new ResourceServerOptionsError(`route option "config.auth.${name}" must be a boolean`);
  return value === true;
}
