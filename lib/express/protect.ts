import { jsonLinesAuditSink } from '../core/audit.js';
import { createResourceServer } from '../core/resource-server.js';
import type { ResourceServer } from '../core/resource-server.js';
import type { ResourceServerOptions } from '../core/options.js';
import { ERROR_MODE, RESOURCE_SERVER, startAudit, toMiddleware } from './handler.js';
import type { ErrorMode, Middleware, ProtectedRequest } from './handler.js';

/** How `protect()` behaves on a route. */
export interface ProtectOptions {
  /**
   * Optional authentication (public routes that still want to know a valid caller): a
   * missing, malformed or invalid token is ignored and `req.auth` stays undefined.
   */
  readonly optional?: boolean;
  /**
   * `'respond'` (default): refusals are answered here with status, `WWW-Authenticate` and
   * a small JSON body. `'next'`: they are passed to `next(err)` (an `AuthError` carrying
   * `status` and `code`) for the app's own error handler; see `authErrorHandler()`.
   */
  readonly onError?: ErrorMode;
}

function isResourceServer(value: unknown): value is ResourceServer {
  return typeof (value as ResourceServer | undefined)?.verifyToken === 'function';
}

/**
 * Express middleware that authenticates every request: it finds the bearer token,
 * verifies it and sets `req.auth` to the caller's {@link Principal}. Without a valid token
 * the request is refused (401/400, or 503 when the issuer is unavailable).
 *
 * @example
 * const rs = createResourceServer({ issuer, audience: projectId, projectId });
 * app.use('/api', protect(rs));
 * app.get('/api/orders', requireRole('orders.read'), (req, res) => res.json({ caller: req.auth?.subject }));
 * app.get('/status', protect(rs, { optional: true }), handler);
 */
export function protect(optionsOrServer: ResourceServerOptions | ResourceServer, options: ProtectOptions = {}): Middleware {
  const server = isResourceServer(optionsOrServer)
    ? optionsOrServer
    : createResourceServer({ audit: jsonLinesAuditSink(), ...optionsOrServer });
  const mode: ErrorMode = options.onError ?? 'respond';
  if (mode !== 'respond' && mode !== 'next') {
    throw new TypeError('"onError" option of protect() must be "respond" or "next"');
  }
  const optional = options.optional === true;
  return toMiddleware(async (req: ProtectedRequest, res) => {
    req[RESOURCE_SERVER] = server;
    req[ERROR_MODE] = mode;
    startAudit(req, res, server);
    req.auth = undefined;
    try {
      req.auth = await server.verifyRequest({
        headers: req.headers,
        headersDistinct: req.headersDistinct,
        rawHeaders: req.rawHeaders,
        url: req.originalUrl ?? req.url,
        body: req.body,
        method: req.method,
        protocol: req.protocol,
      });
    } catch (error) {
      if (!optional) throw error;
    }
    return server;
  });
}
