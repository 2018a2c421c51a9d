/**
 * The test routes on every app kind of the transport matrix, on 127.0.0.1 and a random
 * port. Express is imported here; the Nest and Fastify apps (support/nest-app.ts,
 * support/fastify-app.ts) only when a suite starts one, so that an Express-only suite does
 * not load Nest.
 */
import type { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import express from 'express';
import express4 from 'express4';
import type { Request, Response } from 'express';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { protect, requireActiveToken, requireAnyScope, requireRole, requireScope, resourceMetadata } from '../../lib/express/index.js';
import { isExpress } from './app-kinds.js';
import type { AppKind } from './app-kinds.js';
import { summary } from './core-app.js';

export type { AppKind } from './app-kinds.js';
export { APP_KINDS, authBeforeBody, isExpress, isFastifyRouter } from './app-kinds.js';

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/*
 * The same routes on every framework:
 *   GET  /public                    public (optional auth)
 *   GET  /me                        any valid token
 *   GET  /orders                    scope orders:read
 *   GET  /either                    scope a or b
 *   GET  /admin                     role orders.admin
 *   POST /orgs/:orgId/orders        role orders.write granted in :orgId
 *   GET  /mine                      role orders.read granted in the caller's own organization
 *   GET  /reports                   scope reports:read (controller level)
 *   GET  /reports/export            scope reports:read + role reports.export
 *   GET  /active                    active token (always introspect) + role orders.read
 */

function expressApp(options: ResourceServerOptions, major: 4 | 5): express.Express {
  const rs = createResourceServer(options);
  const app = major === 5 ? express() : (express4 as unknown as typeof express)();
  if (rs.options.resourceMetadata) app.use(resourceMetadata(rs));
  const json = (req: Request, res: Response) => res.json(summary(req.auth));
  app.get('/public', protect(rs, { optional: true }), json);
  app.use(protect(rs));
  app.get('/me', json);
  app.get('/orders', requireScope('orders:read'), json);
  app.get('/either', requireAnyScope('a', 'b'), json);
  app.get('/admin', requireRole('orders.admin'), json);
  app.post('/orgs/:orgId/orders', requireRole('orders.write', { org: (req) => (req as unknown as Request).params.orgId as string }), (req, res) =>
    res.status(201).json({ orgId: req.params.orgId, ...summary(req.auth) }),
  );
  app.get('/mine', requireRole('orders.read', { org: 'own' }), json);
  app.get('/active', requireActiveToken(), requireRole('orders.read'), json);
  app.get('/reports', requireScope('reports:read'), json);
  app.get('/reports/export', requireScope('reports:read'), requireRole('reports.export'), json);
  return app;
}

/** Starts the test routes on one framework, on 127.0.0.1 and a random port. */
export async function startApp(kind: AppKind, options: ResourceServerOptions, logger: LoggerService | false = false): Promise<RunningApp> {
  if (kind === 'fastify') return (await import('./fastify-app.js')).fastifyApp(options);
  if (!isExpress(kind)) return (await import('./nest-app.js')).nestApp(kind as 'nest-express' | 'nest-fastify', options, logger);
  const server = expressApp(options, kind === 'express4' ? 4 : 5).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
