import type { ExecutionContext } from '@nestjs/common';
import type { Principal } from '../../core/kernel/index.js';

/**
 * Principals of non-HTTP calls, keyed by the object that lives exactly as long as the call
 * (or its connection): the GraphQL context of an operation, the RPC context of a message,
 * the socket of a WebSocket connection, and the request of an HTTP call.
 */
const principals = new WeakMap<object, Principal>();

/** Where the principal of a non-HTTP call is kept, or `undefined` if the call offers no object. */
export function holderOf(type: string, context: ExecutionContext): object | undefined {
  switch (type) {
    case 'graphql':
      // (root, args, context, info): the context is per operation; info per field as a fallback.
      return objectOr(context.getArgByIndex(2), context.getArgByIndex(3));
    case 'rpc':
      // (data, context[, call]): TcpContext, NatsContext, gRPC Metadata … are created per message.
      return objectOr(context.getArgByIndex(1), context.getArgByIndex(0));
    case 'ws':
      // (client, data, pattern): the token is the connection's, so is the principal.
      return objectOr(context.getArgByIndex(0), undefined);
    default:
      return undefined;
  }
}

/** Remembers the outcome of a decision for `@Caller()`: a principal, or none. */
export function keepPrincipal(holder: object | undefined, principal: Principal | undefined): void {
  if (holder === undefined) return;
  if (principal === undefined) principals.delete(holder);
  else principals.set(holder, principal);
}

/** The principal kept for a holder, if any. */
export function heldPrincipal(holder: object | undefined): Principal | undefined {
  return holder === undefined ? undefined : principals.get(holder);
}

function objectOr(first: unknown, second: unknown): object | undefined {
  if (first !== null && typeof first === 'object') return first;
  if (second !== null && typeof second === 'object') return second;
  return undefined;
}
