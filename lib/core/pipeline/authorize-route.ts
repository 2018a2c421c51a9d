import { InsufficientScopeError } from '../errors.js';
import { checkRequirement } from '../policy.js';
import type { PolicyPredicate } from '../policy.js';
import type { Principal } from '../principal.js';
import { bindRule } from '../route-rule.js';
import type { Step } from './context.js';

/**
 * The route's rules, all of them: scopes and roles synchronously (403 naming what is
 * missing), then custom predicates in order. Deny by default: an empty role grant matches
 * nothing. Optional-auth routes have no rules to enforce.
 */
export const authorizeRoute: Step = (_context, state) => {
  const route = state.route;
  if (route.optional || (route.rules.length === 0 && state.bound.length === 0)) return undefined;
  const principal = state.principal!;
  const input = state.request.input ?? state.request.http;
  // This route's rules, bound to the request as it is now; those of routes decided before on
  // this request were bound when their middleware ran, and are checked again (the caller may
  // have been refreshed by introspection since).
  const own = route.fixed ?? route.rules.map((rule) => bindRule(rule, principal, input));
  const requirements = state.bound.length === 0 ? own : [...state.bound, ...own];
  state.bound = requirements;
  let predicates: PolicyPredicate[] | undefined;
  for (const requirement of requirements) {
    checkRequirement(principal, requirement);
    if (requirement.predicates?.length) (predicates ??= []).push(...requirement.predicates);
  }
  return predicates === undefined ? undefined : runPredicates(principal, predicates);
};

async function runPredicates(principal: Principal, predicates: readonly PolicyPredicate[]): Promise<void> {
  for (const predicate of predicates) {
    if ((await predicate(principal)) !== true) throw new InsufficientScopeError('ERR_POLICY_DENIED', 'The route policy refused this caller');
  }
}
