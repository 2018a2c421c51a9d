import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRequest, Decision, DecisionRequest, ErrorResponse, Principal, ResourceServer } from '../core/kernel/index.js';

/** Where `protect()` leaves its per-request state for the `require*()` middleware after it. */
export const AUTH_STATE = Symbol.for('zitadel-resource-server.express.state');
/** The request's decision so far, refined by each `require*()`. */
const DECISION = Symbol.for('zitadel-resource-server.express.decision');

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
  [AUTH_STATE]?: AuthState;
  [DECISION]?: Decision;
  ip?: string;
  /** Express: `http` or `https`, honouring the trust-proxy setting. */
  protocol?: string;
  route?: { path?: string };
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void;

/** The request as the pipeline reads it: Express' request is a Node request with a parsed body. */
export function decisionRequest(req: ProtectedRequest): DecisionRequest<ProtectedRequest> {
  return { http: req, input: req, describe: describe };
}

/** The decision so far for this request, made by `protect()`. */
export function decisionOf(req: ProtectedRequest): Decision | undefined {
  return req[DECISION];
}

/**
 * Writes a decision in Express' terms: `req.auth`, then `next()`, or the RFC 6750 answer
 * (`'respond'`) / `next(err)` (`'next'`). An allow still to be audited is settled when the
 * response closes.
 */
export function conclude(req: ProtectedRequest, res: ServerResponse, next: NextFunction, state: AuthState, decision: Decision): void {
  req[DECISION] = decision;
  if (decision.settle !== undefined) {
    // Settled already: the client went away while the decision waited for the issuer.
    if (res.destroyed) decision.settle();
    else res.once('close', decision.settle);
  }
  req.auth = decision.principal;
  if (decision.outcome !== 'refuse') {
    next();
    return;
  }
  req.auth = undefined;
  if (state.mode === 'next') next(decision.error);
  else sendError(res, decision.response);
}

/** Runs a decision that may be a promise, then concludes it. */
export function settleDecision(req: ProtectedRequest, res: ServerResponse, next: NextFunction, state: AuthState, decision: Decision | Promise<Decision>): void {
  if (decision instanceof Promise) decision.then((done) => conclude(req, res, next, state, done), next);
  else conclude(req, res, next, state, decision);
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
