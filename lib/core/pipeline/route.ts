import { ResourceServerOptionsError } from '../errors.js';
import type { Requirement } from '../policy.js';
import { bindRule } from '../route-rule.js';
import type { OrganizationSelector, RouteRule } from '../route-rule.js';

/** What a route asks of its callers, as an adapter declares it. */
export interface RouteSpec<Input = unknown> {
  /**
   * Optional authentication (`@Public()`, `protect(rs, { optional: true })`): a missing,
   * malformed or invalid token is ignored and the decision is `anonymous`; a valid one
   * still yields the caller. Requirements are not checked on such a route.
   */
  readonly optional?: boolean;
  /** Every rule must hold (deny by default: a role list grants nothing unless matched). */
  readonly rules?: readonly RouteRule<Input>[];
  /**
   * More requirements may follow for the same request (Express: `protect()` then
   * `require*()`): an allow is not audited until the request settles (see `Decision.settle`).
   */
  readonly open?: boolean;
  /**
   * Whether this route's allow events reach the audit sink: `false` drops them (health
   * probes, public routes), `true` emits every one (whatever the `auditAllowed` option's
   * rate); unset, the `auditAllowed` option decides. Refusals and 503s are always emitted;
   * spans and metrics are not affected.
   */
  readonly auditAllowed?: boolean;
}

/**
 * A route's policy, compiled once (per Nest controller class and handler, per Express
 * middleware) and handed to every decision for that route.
 */
export interface Route<Input = unknown> {
  readonly optional: boolean;
  readonly open: boolean;
  readonly rules: readonly RouteRule<Input>[];
  /** The requirements when no rule depends on the request or the caller; else undefined. */
  readonly fixed: readonly Requirement[] | undefined;
  /** Some rule demands a live introspection (`@RequireActiveToken()`). */
  readonly activeToken: boolean;
  /** Some rule asks for scopes (a JWT without a scope claim may then be enriched). */
  readonly needsScopes: boolean;
  /** See {@link RouteSpec.auditAllowed}; `undefined`: the `auditAllowed` option decides. */
  readonly auditAllowed: boolean | undefined;
}

/**
 * Compiles a route's policy for {@link ResourceServer.decide}.
 *
 * @example
 * const route = createRoute({ rules: [{ requirement: { scopes: ['orders:read'] } }] });
 * const decision = await rs.decide({ http: req }, route);
 */
export function createRoute<Input = unknown>(spec: RouteSpec<Input> = {}): Route<Input> {
  if (spec === null || typeof spec !== 'object') throw new ResourceServerOptionsError('a route must be an object: { optional?, rules? }');
  const rules = spec.rules ?? [];
  if (!Array.isArray(rules) || rules.some((rule) => rule === null || typeof rule !== 'object' || rule.requirement === null || typeof rule.requirement !== 'object')) {
    throw new ResourceServerOptionsError('a route\'s "rules" must be a list of { requirement, organization? }');
  }
  const requestIndependent = rules.every((rule) => isFixedSelector(rule.organization));
  if (spec.auditAllowed !== undefined && typeof spec.auditAllowed !== 'boolean') throw new ResourceServerOptionsError('a route\'s "auditAllowed" must be true or false');
  return Object.freeze({
    optional: spec.optional === true,
    open: spec.open === true,
    rules: Object.freeze([...rules]),
    // bindRule reads neither the caller nor the request for these rules.
    fixed: requestIndependent ? Object.freeze(rules.map((rule) => bindRule(rule, undefined as never, undefined as never))) : undefined,
    activeToken: rules.some((rule) => rule.requirement.activeToken === true),
    needsScopes: rules.some((rule) => (rule.requirement.scopes?.length ?? 0) > 0 || (rule.requirement.anyScopes?.length ?? 0) > 0),
    auditAllowed: spec.auditAllowed,
  });
}

/**
 * The route a request is on after a second one applied (Express: `protect()`'s route, then a
 * `require*()`): the second route's rules, with the needs of both (an active token, scopes);
 * optional only if both are; allow events audited unless either route drops them (`false`
 * wins over `true`, which wins over unset). The first route's rules were bound and checked
 * already and stay with the request's state.
 */
export function combineRoutes<Input>(first: Route<Input>, second: Route<Input>): Route<Input> {
  const auditAllowed = first.auditAllowed === false || second.auditAllowed === false ? false : first.auditAllowed === true || second.auditAllowed === true ? true : undefined;
  if (
    first.rules.length === 0 &&
    first.optional === second.optional &&
    (!first.activeToken || second.activeToken) &&
    (!first.needsScopes || second.needsScopes) &&
    auditAllowed === second.auditAllowed
  ) {
    return second;
  }
  return Object.freeze({
    ...second,
    optional: first.optional && second.optional,
    activeToken: first.activeToken || second.activeToken,
    needsScopes: first.needsScopes || second.needsScopes,
    auditAllowed,
  });
}

function isFixedSelector(selector: OrganizationSelector<unknown> | undefined): boolean {
  return selector === undefined || (typeof selector === 'string' && selector !== 'own');
}
