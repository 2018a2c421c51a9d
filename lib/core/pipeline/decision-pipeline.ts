import { toErrorResponse } from '../challenge.js';
import type { ChallengeOptions } from '../challenge.js';
import { AuthError, IssuerUnavailableError, ResourceServerOptionsError } from '../errors.js';
import { authorizeRoute } from './authorize-route.js';
import { checkBinding } from './check-binding.js';
import { checkRevocation } from './check-revocation.js';
import type { PipelineContext, Step } from './context.js';
import type { Decision, DecisionRequest } from './decision.js';
import type { DecisionRecorder } from './decision-recorder.js';
import { ensureFreshness } from './ensure-freshness.js';
import { readCredentials } from './read-credentials.js';
import { combineRoutes } from './route.js';
import type { Route } from './route.js';
import { DecisionState } from './state.js';
import { verifyToken } from './verify-token.js';

/**
 * Every check of a request, in one order, exactly once: find the credentials, verify the
 * token, check its binding, check revocation, learn what only introspection can tell,
 * authorize the route — then record the decision. Adapters call {@link decide} and write
 * its answer; they never verify, authorize or record on their own.
 */
const STEPS: readonly Step[] = [readCredentials, verifyToken, checkBinding, checkRevocation, ensureFreshness, authorizeRoute];
/** Where {@link DecisionPipeline.refine} resumes for the same request: the caller is known, more rules apply. */
const ROUTE_STEPS = STEPS.indexOf(ensureFreshness);
/** Where a copy resumes (`authorize()` later on): the token is checked again (expiry, revocation, binding). */
const TOKEN_STEPS = STEPS.indexOf(verifyToken);

export class DecisionPipeline {
  constructor(
    private readonly context: PipelineContext,
    private readonly recorder: DecisionRecorder,
    private readonly challenge: ChallengeOptions,
  ) {}

  /**
   * The decision for one request on one route: synchronous when nothing needs I/O (a
   * cached verdict), a promise otherwise. Never throws and never rejects: every failure is
   * a `refuse` decision (503 for anything unexpected, failing closed).
   */
  decide<Input>(request: DecisionRequest<Input>, route: Route<Input>): Decision | Promise<Decision> {
    return this.#start(new DecisionState(request as DecisionRequest, route as Route, performance.now(), this), 0);
  }

  /**
   * A detached copy of an allowed decision, to keep beside its principal: the token and the
   * checks made, not the request.
   */
  detach(decision: Decision): Decision {
    const state = this.#owned(decision, 'detach');
    // A snapshot of the request view, not the request: an opaque token's issuer may be chosen
    // by its headers or URL (`opaqueTokenIssuer`), so a later authorize() must see them again
    // (without them a tenant's token would go to a default tenant's issuer); keeping the
    // request itself would keep its socket alive. The credentials stay out of it: the state
    // holds the token already.
    const { headers, url, originalUrl } = state.request.http;
    const { authorization: _credentials, dpop: _proof, ...routing } = headers;
    return asDecision(state.copy({ http: { headers: routing, url, originalUrl } }));
  }

  /**
   * Applies more rules to a request already decided on (Express: a `require*()` after
   * `protect()`): the same state, the rules of both routes, one audit event in the end.
   * With `copy`, the earlier decision stays as it was and a new one is made.
   */
  refine<Input>(previous: Decision, route: Route<Input>, copy = false): Decision | Promise<Decision> {
    const owned = this.#owned(previous, 'refine');
    const state = copy ? owned.copy() : owned;
    if (state.outcome === 'refuse') return asDecision(state);
    state.route = combineRoutes(state.route, route as Route);
    if (state.outcome === 'anonymous') {
      // An optional route let a missing or bad token pass; this one does not: decide again.
      if (state.route.optional) return asDecision(state);
      state.outcome = 'allow';
      return this.#start(state, 0);
    }
    return this.#start(state, copy ? TOKEN_STEPS : ROUTE_STEPS);
  }

  /**
   * Decides again on a request allowed before, for a stream that outlives it (a GraphQL
   * subscription, a WebSocket connection): the token's expiry, revocation and binding, and
   * the route's rules, on a copy of the earlier decision. An allow records nothing (no new
   * request came); a refusal is recorded like any other.
   */
  recheck(previous: Decision): Decision | Promise<Decision> {
    const owned = this.#owned(previous, 'recheck');
    if (owned.outcome !== 'allow') throw new ResourceServerOptionsError('recheck() takes an allowed decision');
    // The same request view: a token's issuer may be chosen by it (`opaqueTokenIssuer` reads
    // a tenant header or the Host), and a refusal's audit event names the stream's route.
    // Without it an opaque token would be re-routed (to a default tenant's issuer: another
    // tenant's token sent there) or refused. The copy lives only as long as this check.
    const state = owned.copy();
    state.quiet = true;
    return this.#start(state, TOKEN_STEPS);
  }

  /** The state behind a decision this pipeline made; anything else is a caller's mistake. */
  #owned(decision: Decision, method: string): DecisionState {
    if (!(decision instanceof DecisionState) || decision.owner !== this) {
      throw new ResourceServerOptionsError(`${method}() takes a decision returned by decide() of the same resource server`);
    }
    return decision;
  }

  #start(state: DecisionState, from: number): Decision | Promise<Decision> {
    state.running = true;
    return this.#run(state, from);
  }

  #run(state: DecisionState, from: number): Decision | Promise<Decision> {
    for (let i = from; i < STEPS.length; i += 1) {
      let pending: void | Promise<void>;
      try {
        pending = STEPS[i]!(this.context, state);
      } catch (error) {
        return this.#finish(state, error);
      }
      if (pending !== undefined) {
        const next = i + 1;
        return pending.then(
          () => this.#run(state, next),
          (error: unknown) => this.#finish(state, error),
        );
      }
    }
    return this.#finish(state, undefined);
  }

  #finish(state: DecisionState, error: unknown): Decision {
    state.settle = undefined;
    state.running = false;
    if (error === undefined || state.route.optional) {
      if (error !== undefined) {
        state.outcome = 'anonymous';
        state.principal = undefined;
      } else if (state.outcome !== 'anonymous') {
        state.outcome = 'allow';
      }
      this.#allowed(state);
      return asDecision(state);
    }
    const authError = this.#toAuthError(error);
    if (this.context.options.dpop && (state.scheme === 'dpop' || authError.code === 'ERR_DPOP_BINDING_INVALID')) authError.challengeScheme = 'DPoP';
    state.outcome = 'refuse';
    state.error = authError;
    state.response = toErrorResponse(authError, this.challenge);
    state.auditPending = false;
    this.recorder.record(state);
    return asDecision(state);
  }

  /**
   * An allow (or anonymous pass) is recorded now — or, on an open route (more rules may
   * follow for this request), once the request settles: the adapter calls `settle` then. A
   * request that settled already (aborted while the decision waited for I/O) is recorded
   * now. While a further decision on the request is running, settling records nothing: that
   * decision records its own outcome.
   */
  #allowed(state: DecisionState): void {
    if (state.quiet) return;
    if (!state.route.open || state.settled) {
      state.auditPending = false;
      this.recorder.record(state);
      return;
    }
    if (!this.recorder.wantsAllow(state.route)) return;
    state.auditPending = true;
    if (state.settleIssued) return;
    state.settleIssued = true;
    state.settle = () => {
      state.settled = true;
      if (!state.auditPending || state.running) return;
      state.auditPending = false;
      this.recorder.record(state);
    };
  }

  #toAuthError(error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    this.context.log.error('internal', `Unexpected error while checking a token (${reason}); answering 503`);
    return new IssuerUnavailableError('The token could not be checked', { cause: error });
  }
}

/** The state is the decision the adapter reads (one object per request). */
function asDecision(state: DecisionState): Decision {
  return state as unknown as Decision;
}
