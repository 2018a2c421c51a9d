import { Inject, Injectable } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { map } from 'rxjs';
import type { Observable } from 'rxjs';
import type { ResourceServer } from '../core/kernel/index.js';
import { RESOURCE_SERVER } from './resource-server.constants.js';
import { guardSubscription, subscriptionDecision } from './contexts/graphql-subscription.js';

/** The resource servers (one per app) whose subscriptions an interceptor instance guards. */
const guarded = new WeakSet<object>();

/** True when a `ResourceServerSubscriptionInterceptor` was made for this app's resource server. */
export function subscriptionsGuarded(server: object): boolean {
  return guarded.has(server);
}

/**
 * Installed globally by `ResourceServerModule` next to the guard: a GraphQL subscription the
 * guard allowed streams only while its decision holds — it ends at the token's expiry, and
 * each event is preceded by the same checks a new request would get (revocation, when a
 * list is configured). Other calls pass through untouched.
 */
@Injectable()
export class ResourceServerSubscriptionInterceptor implements NestInterceptor {
  constructor(@Inject(RESOURCE_SERVER) private readonly server: ResourceServer) {
    guarded.add(server);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const decision = subscriptionDecision(context);
    if (decision === undefined) return next.handle();
    return next.handle().pipe(map((result: unknown) => (isAsyncIterable(result) ? guardSubscription(result, decision, this.server) : result)));
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
