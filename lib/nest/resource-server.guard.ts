import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Decision, ResourceServer } from '../core/kernel/index.js';
import { RESOURCE_SERVER } from './resource-server.constants.js';
import type { PlatformRequest } from './resource-server.request.js';
import { RouteCache } from './resource-server.route-policy.js';
import { contextAccess, keepPrincipal } from './contexts/index.js';
import type { ContextAccess } from './contexts/index.js';
import { keepSubscriptionDecision } from './contexts/graphql-subscription.js';

/**
 * The global guard `ResourceServerModule` installs: every route needs a valid bearer token
 * unless it is `@Public()`; controller and method requirements both apply. It only
 * translates: the execution context becomes a request view for the resource server's
 * decision pipeline, and the decision becomes the transport's answer — for HTTP (Express
 * and Fastify platforms), GraphQL resolvers, microservice message handlers (TCP, gRPC,
 * NATS, …) and WebSocket gateways. Other context types are denied.
 */
@Injectable()
export class ResourceServerGuard implements CanActivate {
  readonly #logger = new Logger('ResourceServerGuard');
  readonly #routes = new RouteCache();
  readonly #warnedTypes = new Set<string>();

  constructor(@Inject(RESOURCE_SERVER) private readonly server: ResourceServer) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const type = context.getType<string>();
    const access = contextAccess(type);
    if (access === undefined) return this.#unknownType(type);
    const route = this.#routes.routeOf(context.getClass(), context.getHandler());
    const decision = this.server.decide(access.request(context), route);
    if (decision instanceof Promise) return decision.then((done) => conclude(context, access, type, done));
    return conclude(context, access, type, decision);
  }

  #unknownType(type: string): false {
    if (!this.#warnedTypes.has(type)) {
      this.#warnedTypes.add(type);
      this.#logger.error(`Denied a "${type}" request: ResourceServerGuard supports http, graphql, rpc and ws contexts only`);
    }
    return false;
  }
}

/** Leaves the caller for `@Caller()` (and `request.auth` on HTTP), or throws the refusal. */
function conclude(context: ExecutionContext, access: ContextAccess, type: string, decision: Decision): true | Promise<never> {
  if (decision.outcome === 'refuse') return access.refuse(context, decision);
  const holder = access.holder(context);
  keepPrincipal(holder, decision.principal);
  if (type === 'graphql') keepSubscriptionDecision(context, decision);
  if (type === 'http') (holder as PlatformRequest).auth = decision.principal;
  return true;
}
