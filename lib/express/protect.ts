import { jsonLinesAuditSink } from '../core/audit.js';
import { FAST_PATH, createResourceServer } from '../core/resource-server.js';
import type { FastPaths, ResourceServer } from '../core/resource-server.js';
import type { ResourceServerOptions } from '../core/options.js';
import type { Principal } from '../core/principal.js';
import { refuse, startState } from './handler.js';
import type { AuthState, ErrorMode, Middleware } from './handler.js';

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
 * the request is refused (401/400, or 503 when the issuer is unavailable). Created from
 * options (not from a server), it audits to stdout as JSON lines unless `audit` says otherwise.
 *
 * @example
 * const rs = createResourceServer({ issuer, audience: projectId, projectId });
 * app.use('/api', protect(rs));
 * app.get('/api/orders', requireRole('orders.read'), (req, res) => res.json({ caller: req.auth?.subject }));
 * app.get('/status', protect(rs, { optional: true }), handler);
 */
export function protect(optionsOrServer: ResourceServerOptions | ResourceServer, options: ProtectOptions = {}): Middleware {
  const server: ResourceServer & FastPaths = isResourceServer(optionsOrServer)
    ? optionsOrServer
    : createResourceServer({ audit: jsonLinesAuditSink(), ...optionsOrServer });
  const mode: ErrorMode = options.onError ?? 'respond';
  if (mode !== 'respond' && mode !== 'next') {
    throw new TypeError('"onError" option of protect() must be "respond" or "next"');
  }
  const optional = options.optional === true;
  const dpop = server.options.dpop !== undefined;
  const state: AuthState = Object.freeze({ server, mode });

  return (req, res, next) => {
    startState(req, res, state);
    // A token whose verdict is cached needs no promise: answer in this tick.
    let cached: Principal | undefined;
    try {
      cached = server[FAST_PATH]?.(req);
    } catch (error) {
      req.auth = undefined;
      if (optional) next();
      else refuse(req, res, next, error);
      return;
    }
    if (cached) {
      req.auth = cached;
      next();
      return;
    }
    server
      .verifyRequest({
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        url: req.originalUrl ?? req.url,
        body: req.body,
        method: req.method,
        protocol: dpop ? req.protocol : undefined,
        ...(dpop ? { headersDistinct: req.headersDistinct } : {}),
      })
      .then(
        (principal) => {
          req.auth = principal;
          next();
        },
        (error: unknown) => {
          req.auth = undefined;
          if (optional) next();
          else refuse(req, res, next, error);
        },
      );
  };
}
