import { SetMetadata, createParamDecorator } from '@nestjs/common';
import { ResourceServerOptionsError } from '../core/kernel/index.js';
import type { CustomDecorator, ExecutionContext } from '@nestjs/common';
import type { OrganizationSelector, Principal, RouteRule } from '../core/kernel/index.js';
import { AUDIT_ALLOWED, AUTHENTICATED_ROUTE, PUBLIC_ROUTE, ROUTE_RULES } from './resource-server.constants.js';
import { principalOf } from './resource-server.request.js';

/** A decorator for controllers (all their routes) and for single route handlers. */
export type RouteDecorator = ClassDecorator & MethodDecorator;

function addRule(rule: RouteRule): RouteDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: object = descriptor ? (descriptor.value as object) : target;
    const rules = (Reflect.getOwnMetadata(ROUTE_RULES, holder) as RouteRule[] | undefined) ?? [];
    Reflect.defineMetadata(ROUTE_RULES, [...rules, rule], holder);
  };
}

function names(list: readonly string[], decorator: string): readonly string[] {
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new ResourceServerOptionsError(`@${decorator}() needs at least one non-empty name`);
  }
  return Object.freeze([...list]);
}

/**
 * The route is open to anyone. A valid token there still yields a principal
 * (`@Caller()`); a missing or invalid one is ignored.
 */
export const Public = (): CustomDecorator<string> => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Whether the route's allowed requests produce audit events: `@AuditAllowed(false)` drops
 * them (health probes, `@Public()` routes, chatty reads), `@AuditAllowed()` emits every one
 * even when the `auditAllowed` option samples or drops allow events. Refusals and 503s are
 * always audited; spans and metrics are not affected. On a method it overrides its
 * controller's.
 *
 * @example
 * @Get('health') @Public() @AuditAllowed(false)
 * health() { return 'ok'; }
 */
export function AuditAllowed(audited = true): RouteDecorator {
  if (typeof audited !== 'boolean') throw new ResourceServerOptionsError('@AuditAllowed() takes true or false');
  return SetMetadata(AUDIT_ALLOWED, audited) as RouteDecorator;
}

/**
 * Any caller with a valid token may use the route — said explicitly. This is what an
 * undecorated route does anyway; with `policy: 'explicit'` the app refuses to start while a
 * non-public route has neither a requirement nor this decorator.
 */
export const Authenticated = (): CustomDecorator<string> => SetMetadata(AUTHENTICATED_ROUTE, true);

/**
 * Requires every one of `scopes`. On a controller and on a method both apply.
 *
 * @example
 * @Controller('orders') @RequireScope('orders:read')
 * export class OrdersController {}
 */
export function RequireScope(...scopes: string[]): RouteDecorator {
  return addRule({ requirement: { scopes: names(scopes, 'RequireScope') } });
}

/** Requires at least one of `scopes`. */
export function RequireAnyScope(...scopes: string[]): RouteDecorator {
  return addRule({ requirement: { anyScopes: names(scopes, 'RequireAnyScope') } });
}

/** Options of {@link RequireRole}. */
export interface RoleOptions {
  /**
   * Count the role only when granted in this organization: an id, `'own'` (the caller's
   * organization), or a function of the request, e.g. `(req) => req.params.orgId`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the platform's request type
  readonly org?: OrganizationSelector<any>;
}

/**
 * Requires any one of `roles` (ZITADEL project roles). Options may come last.
 *
 * @example
 * @Post(':orgId/orders') @RequireRole('orders.write', { org: (req) => req.params.orgId })
 * create() {}
 */
export function RequireRole(...args: [...string[], RoleOptions] | string[]): RouteDecorator {
  const last = args[args.length - 1];
  const options: RoleOptions = typeof last === 'object' && last !== null ? (last as RoleOptions) : {};
  const roles = names((args as (string | RoleOptions)[]).filter((a): a is string => typeof a === 'string'), 'RequireRole');
  return addRule({ requirement: { roles: [{ anyOf: roles }] }, ...(options.org === undefined ? {} : { organization: options.org }) });
}

/**
 * The route always introspects the token (JWTs too; answers at most 1 s old), so a
 * revoked token or a removed role is refused at once. Needs `introspection`.
 */
export function RequireActiveToken(): RouteDecorator {
  return addRule({ requirement: { activeToken: true } });
}

/**
 * The verified caller ({@link Principal}), or `undefined` on a public route without a
 * valid token.
 *
 * @example
 * @Get() list(@Caller() caller: Principal) { return caller.subject; }
 */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal | undefined =>
  principalOf(context),
);
