import type { Route, RouteRule } from '../core/kernel/index.js';
import { createRoute } from '../core/kernel/index.js';
import { AUDIT_ALLOWED, AUTHENTICATED_ROUTE, PUBLIC_ROUTE, ROUTE_RULES } from './resource-server.constants.js';

/** A route's policy as its decorators say it: what the guard enforces and the report shows. */
export interface NestRoutePolicy {
  /** Open to anyone (optional auth): `@Public()` with no requirement that applies. */
  readonly isPublic: boolean;
  /** Every rule that applies: the controller's (and its base classes'), then the method's. */
  readonly rules: readonly RouteRule[];
  /** `@Authenticated()` on the method or the controller. */
  readonly authenticated: boolean;
  /** Decorators that contradict each other on one target, described; the module refuses to start. */
  readonly conflict: string | undefined;
  /** `@AuditAllowed(…)` on the method, else on the controller (or a base class); `undefined` without one. */
  readonly auditAllowed: boolean | undefined;
}

type Target = object;

/**
 * The effective policy of `handler` served by controller class `type` (the class Nest
 * routes to, which may inherit the handler from a base class). One function for the
 * guard and for `RoutePolicyInspector`, so the report is exactly what is enforced.
 *
 * - Requirements of the controller, of every base class and of the method all apply: a
 *   method narrows its controller's policy, never widens it.
 * - `@Public()` on a method opens it (its controller's requirements do not apply).
 * - `@Public()` on a controller opens the methods that have no requirement of their own; a
 *   method with requirements stays protected by them (and by the controller's, if any).
 * - `@Public()` and a requirement on the same method or the same class contradict each
 *   other: reported as a conflict (the module refuses to start); the guard enforces the
 *   requirements meanwhile.
 */
export function readRoutePolicy(type: Target, handler: Target): NestRoutePolicy {
  const classRules: RouteRule[] = [];
  let conflict: string | undefined;
  const name = (type as { name?: string }).name ?? 'anonymous';
  const handlerName = (handler as { name?: string }).name ?? 'handler';
  // Base classes first: their rules hold for every subclass.
  for (const klass of classChain(type).reverse()) {
    const own = (Reflect.getOwnMetadata(ROUTE_RULES, klass) as RouteRule[] | undefined) ?? [];
    classRules.push(...own);
    if ((own.length > 0 || Reflect.getOwnMetadata(AUTHENTICATED_ROUTE, klass) === true) && Reflect.getOwnMetadata(PUBLIC_ROUTE, klass) === true) {
      conflict ??= `${(klass as { name?: string }).name ?? name} has both @Public() and requirements`;
    }
  }
  const methodRules = (Reflect.getOwnMetadata(ROUTE_RULES, handler) as RouteRule[] | undefined) ?? [];
  const methodPublic = Reflect.getOwnMetadata(PUBLIC_ROUTE, handler) === true;
  const classPublic = Reflect.getMetadata(PUBLIC_ROUTE, type) === true;
  const methodAuthenticated = Reflect.getOwnMetadata(AUTHENTICATED_ROUTE, handler) === true;
  if (methodPublic && (methodRules.length > 0 || methodAuthenticated)) conflict ??= `${name}.${handlerName} has both @Public() and requirements`;
  // @Authenticated() on a method of a @Public() controller is a requirement of its own.
  const isPublic = methodRules.length === 0 && !methodAuthenticated && (methodPublic || (classPublic && classRules.length === 0));
  return {
    isPublic,
    rules: isPublic ? [] : [...classRules, ...methodRules],
    authenticated: methodAuthenticated || Reflect.getMetadata(AUTHENTICATED_ROUTE, type) === true,
    conflict,
    auditAllowed: (Reflect.getOwnMetadata(AUDIT_ALLOWED, handler) ?? Reflect.getMetadata(AUDIT_ALLOWED, type)) as boolean | undefined,
  };
}

/** The class and its base classes, most derived first. */
function classChain(type: Target): Target[] {
  const chain: Target[] = [];
  for (let klass: Target | null = type; klass !== null && klass !== Function.prototype; klass = Object.getPrototypeOf(klass) as Target | null) {
    chain.push(klass);
  }
  return chain;
}

/**
 * Compiled routes keyed by controller class **and** handler: an inherited handler is one
 * function object in every subclass, so the handler alone is not enough of a key.
 */
export class RouteCache {
  readonly #routes = new WeakMap<Target, WeakMap<Target, Route>>();

  routeOf(type: Target, handler: Target): Route {
    let byHandler = this.#routes.get(type);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.#routes.set(type, byHandler);
    }
    let route = byHandler.get(handler);
    if (route === undefined) {
      const policy = readRoutePolicy(type, handler);
      route = createRoute({ optional: policy.isPublic, rules: policy.rules, ...(policy.auditAllowed === undefined ? {} : { auditAllowed: policy.auditAllowed }) });
      byHandler.set(handler, route);
    }
    return route;
  }
}
