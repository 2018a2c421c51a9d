import type { ContextAccessFactory } from './context-access.js';
import { graphqlAccess } from './graphql.js';
import { rpcAccess } from './rpc.js';
import { wsAccess } from './ws.js';

export type { ContextAccess, ContextAccessFactory, RefusalBody } from './context-access.js';
export { heldPrincipal, holderOf, keepPrincipal } from './holder.js';

const FACTORIES: Readonly<Record<string, ContextAccessFactory>> = Object.freeze({
  graphql: graphqlAccess,
  rpc: rpcAccess,
  ws: wsAccess,
});

/** The access of a non-HTTP context type (`graphql`, `rpc`, `ws`), or `undefined` for any other. */
export function contextAccess(type: string): ContextAccessFactory | undefined {
  return Object.hasOwn(FACTORIES, type) ? FACTORIES[type] : undefined;
}
