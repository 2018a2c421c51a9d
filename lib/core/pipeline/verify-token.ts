import type { Principal } from '../principal.js';
import type { Step } from './context.js';

/** Verifies the token: a cached verdict in this tick, else locally (JWKS) or by introspection. */
export const verifyToken: Step = (context, state) => {
  const verified = context.tokens.verify(state.token, state.hash, state.request.http);
  if (verified instanceof Promise) {
    return verified.then((principal: Principal) => {
      state.principal = principal;
    });
  }
  state.principal = verified;
  return undefined;
};
