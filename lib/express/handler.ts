import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceServer } from '../core/resource-server.js';
import type { Principal } from '../core/principal.js';
import type { ErrorResponse } from '../core/challenge.js';

/** What `protect()` leaves on the request for the `require*()` middleware after it. */
export const RESOURCE_SERVER = Symbol.for('zitadel-resource-server.express.server');
export const ERROR_MODE = Symbol.for('zitadel-resource-server.express.error-mode');

/** How middleware reports a refusal. */
export type ErrorMode = 'respond' | 'next';

/** The request as this middleware sees it (Express 4 and 5 requests fit). */
export interface ProtectedRequest extends IncomingMessage {
  auth?: Principal | undefined;
  body?: unknown;
  originalUrl?: string;
  [RESOURCE_SERVER]?: ResourceServer;
  [ERROR_MODE]?: ErrorMode;
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void;

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
export function toMiddleware(step: (req: ProtectedRequest) => Promise<ResourceServer | undefined>): Middleware {
  return (req, res, next) => {
    step(req).then(
      () => next(),
      (error: unknown) => {
        const server = req[RESOURCE_SERVER];
        if (!server || req[ERROR_MODE] === 'next') next(error);
        else sendError(res, server.toErrorResponse(error));
      },
    );
  };
}
