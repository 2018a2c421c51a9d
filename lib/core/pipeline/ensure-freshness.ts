import type { Principal } from '../principal.js';
import { checkBindingOf } from './check-binding.js';
import { revocationCheck } from './check-revocation.js';
import type { Step } from './context.js';

/** How old an introspection answer a route that demands an active token may reuse. */
export const ACTIVE_TOKEN_MAX_AGE_MS = 1000;

/**
 * What only introspection can tell, when the route needs it: an active-token route
 * (`@RequireActiveToken()`) introspects the token now (JWTs too), and the fresh answer
 * replaces the principal — checked for binding and revocation again, failing closed; a
 * route that needs scopes learns them by introspection for a JWT that carries no scope
 * claim at all (ZITADEL's), when its issuer can introspect.
 */
export const ensureFreshness: Step = (context, state) => {
  const route = state.route;
  if (route.optional) return undefined;
  const principal = state.principal!;
  const { tokens } = context;
  if (route.activeToken) {
    if (state.fresh) return undefined;
    return tokens.introspect(principal, state.token, state.hash, ACTIVE_TOKEN_MAX_AGE_MS, 'activeToken').then((fresh: Principal) => {
      checkBindingOf(state, fresh);
      state.principal = fresh;
      state.fresh = true;
      return revocationCheck(context, state, fresh, true);
    });
  }
  if (route.needsScopes && tokens.needsScopeEnrichment(principal)) {
    return tokens.introspect(principal, state.token, state.hash, Number.POSITIVE_INFINITY, 'scopes').then((introspected: Principal) => {
      state.principal = Object.freeze({ ...principal, scopes: introspected.scopes });
    });
  }
  return undefined;
};
