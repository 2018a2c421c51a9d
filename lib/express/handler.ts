import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceServer } from '../core/resource-server.js';
import type { Principal } from '../core/principal.js';
import type { ErrorResponse } from '../core/challenge.js';
import type { AuditRequest } from '../core/audit.js';

/** What `protect()` leaves on the request for the `require*()` middleware after it. */
export const RESOURCE_SERVER = Symbol.for('zitadel-resource-server.express.server');
export const ERROR_MODE = Symbol.for('zitadel-resource-server.express.error-mode');
/** When the auth step started, and whether a refusal was already audited. */
export const AUDIT_STATE = Symbol.for('zitadel-resource-server.express.audit');

interface AuditState {
  readonly startedAt: number;
  refused: boolean;
}

/** How middleware reports a refusal. */
export type ErrorMode = 'respond' | 'next';

/** The request as this middleware sees it (Express 4 and 5 requests fit). */
export interface ProtectedRequest extends IncomingMessage {
  auth?: Principal | undefined;
  body?: unknown;
  originalUrl?: string;
  [RESOURCE_SERVER]?: ResourceServer;
  [ERROR_MODE]?: ErrorMode;
  [AUDIT_STATE]?: AuditState;
  ip?: string;
  /** Express: `http` or `https`, honouring the trust-proxy setting. */
  protocol?: string;
  route?: { path?: string };
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void;

/**
 * Starts auditing a request: the allow event is emitted when the response finishes,
 * unless a refusal was emitted first.
 */
export function startAudit(req: ProtectedRequest, res: ServerResponse, server: ResourceServer): void {
  if (req[AUDIT_STATE]) return;
  const state: AuditState = { startedAt: performance.now(), refused: false };
  req[AUDIT_STATE] = state;
  if (!server.options.audit) return;
  res.once('finish', () => {
    if (!state.refused) server.record(auditRequest(req, state.startedAt), { principal: req.auth, status: res.statusCode });
  });
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

/**
 * Turns an async step into middleware: success calls `next()`; a refusal is answered here
 * (RFC 6750) or, in `'next'` mode, handed to `next(err)` as the {@link AuthError} it is.
 */
export function toMiddleware(step: (req: ProtectedRequest, res: ServerResponse) => Promise<ResourceServer | undefined>): Middleware {
  return (req, res, next) => {
    step(req, res).then(
      () => next(),
      (error: unknown) => {
        const server = req[RESOURCE_SERVER];
        const state = req[AUDIT_STATE];
        if (server && state && !state.refused) {
          state.refused = true;
          server.record(auditRequest(req, state.startedAt), { principal: req.auth, error });
        }
        if (!server || req[ERROR_MODE] === 'next') next(error);
        else sendError(res, server.toErrorResponse(error));
      },
    );
  };
}
