import type { ContextAccess } from './context-access.js';
import { graphqlAccess } from './graphql.js';
import { httpAccess } from './http.js';
import { rpcAccess } from './rpc.js';
import { wsAccess } from './ws.js';

export type { ContextAccess, RefusalBody } from './context-access.js';
export { heldPrincipal, holderOf, keepPrincipal } from './holder.js';

const ACCESS: Readonly<Record<string, ContextAccess>> = Object.freeze({
  http: httpAccess,
  graphql: graphqlAccess,
  rpc: rpcAccess,
  ws: wsAccess,
});

/** The access of a context type (`http`, `graphql`, `rpc`, `ws`), or `undefined` for any other. */
export function contextAccess(type: string): ContextAccess | undefined {
  return Object.hasOwn(ACCESS, type) ? ACCESS[type] : undefined;
}
