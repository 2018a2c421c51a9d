import { createResourceServer, createRoute, jsonLinesAuditSink, ResourceServerOptionsError } from '../core/kernel/index.js';
import type { ResourceServer, ResourceServerOptions } from '../core/kernel/index.js';
import { decisionRequest, heldOf, hold, settleDecision } from './handler.js';
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
  /**
   * `false`: allowed requests through this middleware produce no audit event (health probes,
   * public routes); `true`: every one does, whatever the `auditAllowed` option's rate.
   * Default: the `auditAllowed` option decides. Refusals and 503s are always audited.
   */
  readonly auditAllowed?: boolean;
}

function isResourceServer(value: unknown): value is ResourceServer {
  return typeof (value as ResourceServer | undefined)?.decide === 'function';
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
 * app.get('/healthz', protect(rs, { auditAllowed: false }), handler);
 */
export function protect(optionsOrServer: ResourceServerOptions | ResourceServer, options: ProtectOptions = {}): Middleware {
  const server = isResourceServer(optionsOrServer) ? optionsOrServer : createResourceServer({ audit: jsonLinesAuditSink(), ...optionsOrServer });
  const mode: ErrorMode = options.onError ?? 'respond';
  if (mode !== 'respond' && mode !== 'next') throw new ResourceServerOptionsError('"onError" option of protect() must be "respond" or "next"');
  if (options.auditAllowed !== undefined && typeof options.auditAllowed !== 'boolean') throw new ResourceServerOptionsError('"auditAllowed" option of protect() must be true or false');
  // require*() after this middleware may add rules: the allow is audited when the request settles.
  const route = createRoute({ optional: options.optional === true, open: true, ...(options.auditAllowed === undefined ? {} : { auditAllowed: options.auditAllowed }) });
  const state: AuthState = Object.freeze({ server, mode });
  return (req, res, next) => {
    // A second protect() of the same server on this request (app-level and router-level)
    // continues the request's decision: one decision, one audit event.
    const before = heldOf(req);
    const earlier = before?.state.server === server ? before.decision : undefined;
    const entry = hold(req, state, before);
    settleDecision(req, res, next, entry, earlier === undefined ? server.decide(decisionRequest(req), route) : server.refine(earlier, route));
  };
}
