import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRequest } from '../core/audit.js';
import type { ErrorResponse } from '../core/challenge.js';
import type { Principal } from '../core/principal.js';
import type { FastPaths, ResourceServer } from '../core/resource-server.js';

/** Where `protect()` leaves its per-request state for the `require*()` middleware after it. */
export const AUTH_STATE = Symbol.for('zitadel-resource-server.express.state');

/** How middleware reports a refusal. */
export type ErrorMode = 'respond' | 'next';

/** What `protect()` leaves on a request: one object per `protect()` call, shared by its requests. */
export interface AuthState {
  readonly server: ResourceServer & FastPaths;
  readonly mode: ErrorMode;
}

/** Audit bookkeeping of one request, kept only when the server audits. */
interface AuditMark {
  /** `performance.now()` when `protect()` started. */
  readonly startedAt: number;
  /** A refusal was already audited (the allow event at `finish` is then skipped). */
  refused: boolean;
}

const audits = new WeakMap<ProtectedRequest, AuditMark>();

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
export function startState(req: ProtectedRequest, res: ServerResponse, state: AuthState): void {
  if (req[AUTH_STATE]) return;
  req[AUTH_STATE] = state;
  const { server } = state;
  if (server.options.audit === undefined) return;
  const mark: AuditMark = { startedAt: performance.now(), refused: false };
  audits.set(req, mark);
  res.once('finish', () => {
    if (!mark.refused) server.record(auditRequest(req, mark.startedAt), { principal: req.auth, status: res.statusCode });
  });
}

/** A refusal: audited once, then answered here (RFC 6750) or handed to `next(err)`. */
export function refuse(req: ProtectedRequest, res: ServerResponse, next: NextFunction, error: unknown): void {
  const state = req[AUTH_STATE];
  if (!state) {
    next(error);
    return;
  }
  const mark = audits.get(req);
  if (!mark?.refused) {
    if (mark) mark.refused = true;
    const startedAt = mark?.startedAt ?? performance.now();
    state.server.record(() => auditRequest(req, startedAt), { principal: req.auth, error });
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
