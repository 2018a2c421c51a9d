import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeRequestView, settleWhenClosed } from '../core/kernel/index.js';
import type { AuditRequest, Decision, DecisionRequest, ErrorResponse, Principal, ResourceServer } from '../core/kernel/index.js';

/** How middleware reports a refusal. */
export type ErrorMode = 'respond' | 'next';

/** What `protect()` leaves on a request: one object per `protect()` call, shared by its requests. */
export interface AuthState {
  readonly server: ResourceServer;
  readonly mode: ErrorMode;
}

/** The request as this middleware sees it (Express 4 and 5 requests fit). */
export interface ProtectedRequest extends IncomingMessage {
  auth?: Principal | undefined;
  body?: unknown;
  originalUrl?: string;
  ip?: string;
  /** Express: `http` or `https`, honouring the trust-proxy setting. */
  protocol?: string;
  route?: { path?: string };
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void;

/** What `protect()` knows of a request: which `protect()` decided on it, and the decision so far. */
interface Held {
  state: AuthState;
  decision: Decision | undefined;
}

/**
 * Where a request's {@link Held} record lives: one property of the request, in the global
 * symbol registry (so `protect()` and `require*()` of two copies of this package still
 * meet). One, not one per field: Express re-prototypes every request
 * (`Object.setPrototypeOf(req, app.request)`), after which V8 gives each request a map of
 * its own, and every property added to it then costs a map transition in the runtime
 * (about 10 µs here, measured). Not `res.locals`: an app may share or replace that object,
 * and one request's decision must never be another's. Not a WeakMap keyed by the request:
 * its value (the decision) refers back to the request, so entries lived until a full
 * garbage collection (measured: twice the CPU per request).
 */
const HELD = Symbol.for('zitadel-resource-server.express.held');

type Holder = { [HELD]?: Held };

/** The `protect()` state and decision so far of a request, if a `protect()` ran on it. */
export function heldOf(req: ProtectedRequest): Held | undefined {
  return (req as Holder)[HELD];
}

/** Starts (or continues) a request's record under a `protect()`; `entry` is what {@link heldOf} returned for it. */
export function hold(req: ProtectedRequest, state: AuthState, entry: Held | undefined): Held {
  if (entry !== undefined) {
    entry.state = state;
    return entry;
  }
  const created: Held = { state, decision: undefined };
  (req as Holder)[HELD] = created;
  return created;
}

/** The request as the pipeline reads it: Express' request is a Node request with a parsed body. */
export function decisionRequest(req: ProtectedRequest): DecisionRequest<ProtectedRequest> {
  return { http: new NodeRequestView(req), input: req, describe: describe };
}

/**
 * Writes a decision in Express' terms: `req.auth`, then `next()`, or the RFC 6750 answer
 * (`'respond'`) / `next(err)` (`'next'`). An allow still to be audited is settled when the
 * response closes.
 */
export function conclude(req: ProtectedRequest, res: ServerResponse, next: NextFunction, entry: Held, decision: Decision): void {
  entry.decision = decision;
  settleWhenClosed(decision, res);
  req.auth = decision.principal;
  if (decision.outcome !== 'refuse') {
    next();
    return;
  }
  req.auth = undefined;
  if (entry.state.mode === 'next') next(decision.error);
  else sendError(res, decision.response);
}

/** Runs a decision that may be a promise, then concludes it. */
export function settleDecision(req: ProtectedRequest, res: ServerResponse, next: NextFunction, entry: Held, decision: Decision | Promise<Decision>): void {
  if (decision instanceof Promise) decision.then((done) => conclude(req, res, next, entry, done), next);
  else conclude(req, res, next, entry, decision);
}

function describe(req: ProtectedRequest, startedAt: number): AuditRequest {
  const url = req.originalUrl ?? req.url ?? '';
  const requestId = req.headers['x-request-id'];
  return {
    route: { method: req.method ?? 'GET', template: req.route?.path, path: url.split('?', 1)[0] ?? '' },
    requestId: typeof requestId === 'string' && requestId !== '' ? requestId.slice(0, 200) : undefined,
    ip: req.ip ?? req.socket?.remoteAddress,
    startedAt,
  };
}

/** Writes an RFC 6750 answer with Node's own response API (works on Express 4 and 5). */
export function sendError(res: ServerResponse, response: ErrorResponse): void {
  if (res.headersSent) return;
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(response.body));
}
