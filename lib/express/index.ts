import type { Principal } from '../core/kernel/index.js';

export { protect } from './protect.js';
export type { ProtectOptions } from './protect.js';
export { requireScope, requireAnyScope, requireRole, requireActiveToken } from './require.js';
export type { RoleOptions } from './require.js';
export { authErrorHandler } from './error-handler.js';
export { resourceMetadata } from './resource-metadata.js';
export type { ProtectedRequest, Middleware, NextFunction, ErrorMode } from './handler.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified caller, set by `protect()`. Undefined on optional routes without a valid token. */
      auth?: Principal | undefined;
    }
  }
}
