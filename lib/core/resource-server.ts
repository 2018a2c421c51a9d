import type { BearerRequest } from './bearer.js';
import { buildChallenge, toErrorResponse } from './challenge.js';
import type { ChallengeOptions, ErrorResponse } from './challenge.js';
import { DpopVerifier } from './dpop.js';
import { AuthError, IssuerUnavailableError, ResourceServerOptionsError } from './errors.js';
import { ThrottledLog } from './logger.js';
import { resolveOptions } from './options.js';
import type { ResolvedOptions, ResourceServerOptions } from './options.js';
import type { Requirement } from './policy.js';
import type { Principal } from './principal.js';
import type { RevocationTarget } from './revocation.js';
import { loadTelemetry } from './telemetry.js';
import type { ResourceServerHealth } from './operations/health.js';
import { Operations } from './operations/operations.js';
import { Readiness } from './operations/readiness.js';
import type { ReadyOptions } from './operations/readiness.js';
import { DecisionPipeline } from './pipeline/decision-pipeline.js';
import type { Decision, DecisionRequest } from './pipeline/decision.js';
import { DecisionRecorder } from './pipeline/decision-recorder.js';
import { createRoute } from './pipeline/route.js';
import type { Route } from './pipeline/route.js';
import { TokenVerification } from './pipeline/token-verification.js';

/**
 * The resource server: one decision pipeline per request (credentials → verification →
 * binding → revocation → introspection where needed → route policy → audit). Framework
 * adapters and custom code all go through it.
 */
export interface ResourceServer {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedOptions;
  /**
   * The whole decision for one request on one route (see {@link createRoute}): `allow`
   * with the caller, `anonymous` (an optional route without a valid token), or `refuse`
   * with the status, headers and body to answer. Synchronous when nothing needs I/O (a
   * cached verdict), a promise otherwise; never throws or rejects. Emits the audit event
   * and the span.
   *
   * @example
   * const orders = createRoute({ rules: [{ requirement: { scopes: ['orders:read'] } }] });
   * const decision = await rs.decide({ http: req }, orders);
   * if (decision.outcome === 'refuse') return reply(decision.response);
   */
  decide<Input>(request: DecisionRequest<Input>, route?: Route<Input>): Decision | Promise<Decision>;
  /**
   * Applies a further route's rules to a request already decided on (the same checks, the
   * same audit event): what Express's `require*()` middleware does after `protect()`.
   */
  refine<Input>(decision: Decision, route: Route<Input>): Decision | Promise<Decision>;
  /**
   * Decides again on an allowed decision, for a stream that outlives its request (a GraphQL
   * subscription, a WebSocket connection): the token's expiry, revocation and binding and
   * the route's rules, exactly as a new request with the same token would get them. An
   * allow records nothing; a refusal is recorded (audit event, span) like any other.
   * Synchronous when nothing needs I/O.
   *
   * @example
   * const again = rs.recheck(decision);
   * if ((again instanceof Promise ? await again : again).outcome === 'refuse') stream.end();
   */
  recheck(decision: Decision): Decision | Promise<Decision>;
  /**
   * Authenticates a request (an Authorization header value, or a request), and with
   * `requirements` authorizes it in the same decision. Resolves to the caller; rejects with
   * an {@link AuthError} (401/400 for the caller's faults, 403 for a missing scope or role,
   * 503 when the issuer is needed and unavailable). One audit event.
   *
   * @example
   * const caller = await rs.authenticate(req.headers.authorization, { scopes: ['orders:read'] });
   */
  authenticate(input: string | undefined | BearerRequest, requirements?: Requirement | readonly Requirement[]): Promise<Principal>;
  /**
   * Checks a caller that {@link authenticate} returned against more requirements (all must
   * hold), through the same pipeline: it may introspect (for `activeToken`, and to learn
   * the scopes of a JWT that has none). Resolves to the principal to use from then on.
   * One audit event of its own.
   */
  authorize(principal: Principal, requirements: Requirement | readonly Requirement[]): Promise<Principal>;
  /** The `WWW-Authenticate` value for an error (or a bare challenge). */
  challenge(error?: AuthError): string;
  /** Status, headers and body for an error. Non-auth errors become a 503 (fail closed). */
  toErrorResponse(error: unknown): ErrorResponse;
  /** Adds to the configured revocation list. */
  revoke(target: RevocationTarget): Promise<void>;
  /**
   * Warm-up: loads what decisions need — every issuer's discovery document and JWKS
   * (refreshed when stale), and the introspection endpoint's URL — within the cooldowns, and
   * resolves with {@link health}. When something could not be loaded it logs one clear line
   * and resolves anyway (requests that need it get 503 until it loads); with
   * `throwOnError: true` it rejects with an {@link IssuerUnavailableError} instead. Nest:
   * the module option `prefetch` calls it at startup.
   *
   * @example
   * await rs.ready();            // before app.listen(): the first requests pay no fetch
   * app.listen(3000);
   */
  ready(options?: ReadyOptions): Promise<ResourceServerHealth>;
  /**
   * A snapshot of what decisions depend on, without I/O: per issuer whether discovery and
   * the JWKS are loaded, their age, fresh or stale, the last failure (code and time);
   * introspection's credentials (last accepted, refused and backed off) and shed counts; the
   * revocation list's store when it can tell; and `ready`. For readiness probes (see the
   * README: with a shared issuer, every instance turns unready at once).
   *
   * @example
   * app.get('/ready', async (req, res) => { const health = await rs.ready(); res.status(health.ready ? 200 : 503).json(health); });
   */
  health(): ResourceServerHealth;
}

/**
 * Creates a resource server. Options are validated here, once; nothing is fetched until
 * the first token needs it.
 *
 * @example
 * const rs = createResourceServer({
 *   issuer: 'https://acme.zitadel.cloud',
 *   audience: ['294800000000000001'],
 *   projectId: '294800000000000001',
 * });
 * const principal = await rs.authenticate(req.headers.authorization, { roles: [{ anyOf: ['orders.admin'] }] });
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  return new DefaultResourceServer(resolveOptions(options));
}

const AUTHENTICATED = createRoute();

class DefaultResourceServer implements ResourceServer {
  readonly #pipeline: DecisionPipeline;
  readonly #challengeOptions: ChallengeOptions;
  readonly #log: ThrottledLog;
  readonly #readiness: Readiness;
  /**
   * The decision behind each principal authenticate() returned, detached from its request,
   * for authorize(). Memory only: it holds the token, and goes when the principal does.
   */
  readonly #decisions = new WeakMap<Principal, Decision>();

  constructor(readonly options: ResolvedOptions) {
    void loadTelemetry();
    this.#challengeOptions = {
      realm: options.realm,
      resourceMetadata: options.resourceMetadata?.url,
      dpopAlgorithms: options.dpop?.algorithms,
      dpopOnly: options.dpop?.required,
    };
    this.#log = new ThrottledLog(options.logger, 60_000, options.now);
    const dpop = options.dpop ? new DpopVerifier({ ...options.dpop, clockTolerance: options.clockTolerance, now: options.now }) : undefined;
    const operations = new Operations(this.#log, options.timeout);
    const tokens = new TokenVerification(options, this.#log, operations);
    this.#readiness = new Readiness(tokens.issuers, options, this.#log);
    this.#pipeline = new DecisionPipeline(
      { options, tokens, dpop, log: this.#log, operations },
      new DecisionRecorder(options, this.#log, operations.metrics),
      this.#challengeOptions,
    );
  }

  ready(options?: ReadyOptions): Promise<ResourceServerHealth> {
    return this.#readiness.ready(options);
  }

  health(): ResourceServerHealth {
    return this.#readiness.health();
  }

  decide<Input>(request: DecisionRequest<Input>, route: Route<Input> = AUTHENTICATED as Route<Input>): Decision | Promise<Decision> {
    return this.#pipeline.decide(request, route);
  }

  refine<Input>(decision: Decision, route: Route<Input>): Decision | Promise<Decision> {
    return this.#pipeline.refine(decision, route);
  }

  recheck(decision: Decision): Decision | Promise<Decision> {
    return this.#pipeline.recheck(decision);
  }

  async authenticate(input: string | undefined | BearerRequest, requirements?: Requirement | readonly Requirement[]): Promise<Principal> {
    const http: BearerRequest = input === undefined || typeof input === 'string' ? { headers: input === undefined ? {} : { authorization: input } } : input;
    const route = requirements === undefined ? AUTHENTICATED : routeOf(requirements);
    const decision = await this.#pipeline.decide({ http }, route);
    if (decision.outcome !== 'allow') throw decision.error ?? new IssuerUnavailableError('The token could not be checked');
    this.#decisions.set(decision.principal, this.#pipeline.detach(decision));
    return decision.principal;
  }

  async authorize(principal: Principal, requirements: Requirement | readonly Requirement[]): Promise<Principal> {
    const previous = this.#decisions.get(principal);
    if (previous === undefined) throw new ResourceServerOptionsError('authorize() takes a principal that authenticate() of the same resource server returned');
    // A copy of the earlier decision: the same token and checks, its own outcome and event.
    const decision = await this.#pipeline.refine(previous, routeOf(requirements), true);
    if (decision.outcome !== 'allow') throw decision.error ?? new IssuerUnavailableError('The token could not be checked');
    this.#decisions.set(decision.principal, this.#pipeline.detach(decision));
    return decision.principal;
  }

  challenge(error?: AuthError): string {
    return buildChallenge(error, this.#challengeOptions);
  }

  toErrorResponse(error: unknown): ErrorResponse {
    if (error instanceof AuthError) return toErrorResponse(error, this.#challengeOptions);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    this.#log.error('internal', `Unexpected error while answering a request (${reason}); answering 503`);
    return toErrorResponse(new IssuerUnavailableError('The token could not be checked', { cause: error }), this.#challengeOptions);
  }

  async revoke(target: RevocationTarget): Promise<void> {
    if (!this.options.revocation) throw new ResourceServerOptionsError('revoke() needs a "revocation" list in the options (e.g. new MemoryRevocationList())');
    await this.options.revocation.revoke(target);
  }
}

function routeOf(requirements: Requirement | readonly Requirement[]): Route {
  const list: readonly Requirement[] = Array.isArray(requirements) ? requirements : [requirements as Requirement];
  return createRoute({ rules: list.map((requirement) => ({ requirement })) });
}
