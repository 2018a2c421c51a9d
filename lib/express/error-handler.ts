import type { ServerResponse } from 'node:http';
import { AuthError, toErrorResponse } from '../core/kernel/index.js';
import type { ResourceServer } from '../core/kernel/index.js';
import { heldOf, sendError } from './handler.js';
import type { NextFunction, ProtectedRequest } from './handler.js';

/**
 * Express error middleware for `protect(rs, { onError: 'next' })`: answers an
 * {@link AuthError} per RFC 6750 and passes any other error on. The challenge (`realm`,
 * resource metadata) is that of the `protect()` the request went through; for an error
 * raised where no `protect()` ran (your own `rs.authenticate()` call), pass the resource
 * server so the answer carries its challenge too.
 *
 * @example
 * app.use(protect(rs, { onError: 'next' }));
 * app.use(myErrorLogger, authErrorHandler(rs));
 */
export function authErrorHandler(rs?: ResourceServer): (error: unknown, req: ProtectedRequest, res: ServerResponse, next: NextFunction) => void {
  return (error, req, res, next) => {
    if (!(error instanceof AuthError)) {
      next(error);
      return;
    }
    const server = heldOf(req)?.state.server ?? rs;
    sendError(res, server ? server.toErrorResponse(error) : toErrorResponse(error));
  };
}
