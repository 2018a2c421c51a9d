import type { ServerResponse } from 'node:http';
import { ResourceServerOptionsError, writeMetadata } from '../core/kernel/index.js';
import type { ResourceServer } from '../core/kernel/index.js';
import type { Middleware, ProtectedRequest } from './handler.js';

/**
 * Serves RFC 9728 protected-resource metadata (`/.well-known/oauth-protected-resource`)
 * when the server has `resourceMetadata`; every other request passes through. Mount it
 * before `protect()`: the document is public.
 *
 * @example
 * const rs = createResourceServer({ issuer, audience, resourceMetadata: { resource: 'https://api.acme.com' } });
 * app.use(resourceMetadata(rs));
 * app.use('/api', protect(rs));
 */
export function resourceMetadata(server: ResourceServer): Middleware {
  const metadata = server.options.resourceMetadata;
  if (!metadata) throw new ResourceServerOptionsError('resourceMetadata() needs a server created with the "resourceMetadata" option');
  const body = JSON.stringify(metadata.document);
  return (req: ProtectedRequest, res: ServerResponse, next) => {
    const path = (req.originalUrl ?? req.url ?? '').split('?', 1)[0];
    if (path !== metadata.path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      next();
      return;
    }
    writeMetadata(res, body, req.method === 'HEAD');
  };
}
