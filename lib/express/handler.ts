import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRequest } from '../core/audit.js';
import type { ErrorResponse } from '../core/challenge.js';
import type { Principal } from '../core/principal.js';
import type { FastPaths, ResourceServer } from '../core/resource-server.js';

/** Where `protect()` leaves its per-request state for the `require*()` middleware after it. */
export const AUTH_STATE = Symbol.for('zitadel-resource-server.express.state');

/** How middleware reports a refusal. */
export type ErrorMode = 'respond' | 'next';

/** One small object per request: the server, the error mode, and audit bookkeeping. */
export interface AuthState {
  readonly server: ResourceServer & FastPaths;
  readonly mode: ErrorMode;
  /** `performance.now()` when `protect()` started; 0 when nothing audits. */
  readonly startedAt: number;
  /** A refusal was already audited (the allow event at `finish` is then skipped). */
  refused: boolean;
}

/** The request as this middleware sees it (Express 4 and 5 requests fit). */
export interface ProtectedRequest extends IncomingMessage {
  auth?: Principal | undefined;
  body?: unknown;
  originalUrl?: string;
  [AUTH_STATE]?: AuthState;
  ip?: string;
  /** Express: `http` or `https`, honouring the trust-proxy setting. */
  protocol?: string;
  route?: { path?: string };
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void;

/**
 * Starts the request's auth state; with an audit sink, the allow event is emitted when the
 * response finishes, unless a refusal was emitted first.
 */
export function startState(req: ProtectedRequest, res: ServerResponse, server: ResourceServer & FastPaths, mode: ErrorMode): AuthState {
  const existing = req[AUTH_STATE];
  if (existing) return existing;
  const audits = server.options.audit !== undefined;
  const state: AuthState = { server, mode, startedAt: audits ? performance.now() : 0, refused: false };
  req[AUTH_STATE] = state;
  if (audits) {
    res.once('finish', () => {
      if (!state.refused) server.record(auditRequest(req, state.startedAt), { principal: req.auth, status: res.statusCode });
    });
  }
  return state;
}

/** A refusal: audited once, then answered here (RFC 6750) or handed to `next(err)`. */
export function refuse(req: ProtectedRequest, res: ServerResponse, next: NextFunction, error: unknown): void {
  const state = req[AUTH_STATE];
  if (!state) {
    next(error);
    return;
  }
  if (!state.refused) {
    state.refused = true;
    state.server.record(auditRequest(req, state.startedAt || performance.now()), { principal: req.auth, error });
  }
  if (state.mode === 'next') next(error);
  else sendError(res, state.server.toErrorResponse(error));
}

function auditRequest(req: ProtectedRequest, startedAt: number): AuditRequest {
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
