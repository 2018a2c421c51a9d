import type { AuditRequest } from '../audit.js';
import type { ErrorResponse } from '../challenge.js';
import type { AuthError } from '../errors.js';
import type { Requirement } from '../policy.js';
import type { Principal } from '../principal.js';
import type { DecisionRequest } from './decision.js';
import type { Route } from './route.js';

/**
 * Everything one request's decision carries from step to step: the token and how it came,
 * the caller as verified so far, and the outcome. It is also the {@link Decision} handed to
 * the adapter (no second object per request). The raw token is a private field: it is not
 * an own property, so neither `JSON.stringify`, `util.inspect` nor a log of the request
 * shows it.
 */
export class DecisionState {
  outcome: 'allow' | 'anonymous' | 'refuse' = 'allow';
  principal: Principal | undefined = undefined;
  error: AuthError | undefined = undefined;
  response: ErrorResponse | undefined = undefined;
  settle: (() => void) | undefined = undefined;

  #token = '';
  #hash = '';
  /** How the token came: `Authorization: Bearer` (or query/body), or `Authorization: DPoP`. */
  scheme: 'bearer' | 'dpop' = 'bearer';
  /** JWK thumbprint of a verified DPoP proof's key. */
  proofKey: string | undefined = undefined;
  /** The principal was refreshed by introspection for this decision (active-token routes). */
  fresh = false;
  /**
   * Requirements of the routes decided before on this request (Express: the `require*()`
   * before this one), bound to the request as it was when their middleware ran.
   */
  bound: readonly Requirement[] = [];
  /** An allow still to be audited when the request settles (open routes). */
  auditPending = false;
  /** The settle function was handed out (once per request). */
  settleIssued = false;
  /** The request settled (its response closed) before the decision was final. */
  settled = false;
  /** A decision on this state is running (a refine waiting for I/O). */
  running = false;
  /** A re-check of a long-lived stream: an allow changes nothing and records nothing; a refusal is recorded. */
  quiet = false;

  constructor(
    readonly request: DecisionRequest,
    public route: Route,
    public startedAt: number,
    /** The pipeline that made this state: only it may refine, copy or detach it. */
    readonly owner: object,
  ) {}

  /** The access token, once read (the raw string: it stays inside the pipeline). */
  get token(): string {
    return this.#token;
  }
  set token(value: string) {
    this.#token = value;
  }

  /** SHA-256 of the token, base64url: the only form used as a key. */
  get hash(): string {
    return this.#hash;
  }
  set hash(value: string) {
    this.#hash = value;
  }

  /**
   * A copy to decide on separately: the same token and credentials, its own outcome, checks
   * and start time; with `request`, detached from the original request (so that keeping it
   * does not keep the request alive).
   */
  copy(request: DecisionRequest = this.request): DecisionState {
    const copy = new DecisionState(request, this.route, performance.now(), this.owner);
    copy.outcome = this.outcome;
    copy.principal = this.principal;
    copy.#token = this.#token;
    copy.#hash = this.#hash;
    copy.scheme = this.scheme;
    copy.proofKey = this.proofKey;
    copy.bound = this.bound;
    return copy;
  }

  /** What a log of the decision shows: the outcome, never the request or the token. */
  toJSON(): Record<string, unknown> {
    return { outcome: this.outcome, principal: this.principal, error: this.error?.code, response: this.response };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return this.toJSON();
  }

  /** The audit view of the request. */
  describe(): AuditRequest {
    const { describe } = this.request;
    return describe === undefined ? defaultDescription(this.request, this.startedAt) : describe(this.request.input, this.startedAt);
  }
}

function defaultDescription(request: DecisionRequest, startedAt: number): AuditRequest {
  const { http } = request;
  const requestId = http.headers['x-request-id'];
  return {
    route: { method: http.method ?? 'GET', template: undefined, path: (http.originalUrl ?? http.url ?? '').split('?', 1)[0] ?? '' },
    requestId: typeof requestId === 'string' && requestId !== '' ? requestId.slice(0, 200) : undefined,
    ip: undefined,
    startedAt,
  };
}
