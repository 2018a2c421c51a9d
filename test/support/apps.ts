import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import type { FastifyRequest } from 'fastify';
import type { Request, Response } from 'express';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import type { Principal } from '../../lib/core/principal.js';
import { protect, requireActiveToken, requireAnyScope, requireRole, requireScope, resourceMetadata } from '../../lib/express/index.js';
import {
  Caller,
  Public,
  RequireActiveToken,
  RequireAnyScope,
  RequireRole,
  RequireScope,
  ResourceServerModule,
} from '../../lib/nest/index.js';
import * as plugin from '../../lib/fastify/index.js';
import { isExpress } from './app-kinds.js';
import type { AppKind } from './app-kinds.js';

export type { AppKind } from './app-kinds.js';
export { APP_KINDS, authBeforeBody, isExpress, isFastifyRouter } from './app-kinds.js';

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** What every route answers: who called (never the token). */
function summary(caller: Principal | undefined): Record<string, unknown> {
  return caller
    ? { subject: caller.subject, clientId: caller.clientId, organizationId: caller.organizationId, scopes: caller.scopes, roles: caller.roles, verifiedBy: caller.verifiedBy, tokenKind: caller.tokenKind }
    : { subject: null };
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

@Controller()
class TestController {
  @Get('public') @Public() publicRoute(@Caller() caller?: Principal) { return summary(caller); }
  @Get('me') me(@Caller() caller: Principal) { return summary(caller); }
  @Get('orders') @RequireScope('orders:read') orders(@Caller() caller: Principal) { return summary(caller); }
  @Get('either') @RequireAnyScope('a', 'b') either(@Caller() caller: Principal) { return summary(caller); }
  @Get('admin') @RequireRole('orders.admin') admin(@Caller() caller: Principal) { return summary(caller); }
  @Post('orgs/:orgId/orders') @RequireRole('orders.write', { org: (req: { params: { orgId: string } }) => req.params.orgId })
  create(@Param('orgId') orgId: string, @Caller() caller: Principal) { return { orgId, ...summary(caller) }; }
  @Get('mine') @RequireRole('orders.read', { org: 'own' }) mine(@Caller() caller: Principal) { return summary(caller); }
  @Get('active') @RequireActiveToken() @RequireRole('orders.read') active(@Caller() caller: Principal) { return summary(caller); }
}

@Controller('reports')
@RequireScope('reports:read')
class ReportsController {
  @Get() list(@Caller() caller: Principal) { return summary(caller); }
  @Get('export') @RequireRole('reports.export') export(@Caller() caller: Principal) { return summary(caller); }
}

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

/** The same routes with the Fastify plugin: some by route config, some by preHandlers, some by both. */
async function fastifyApp(options: ResourceServerOptions): Promise<RunningApp> {
  const app = Fastify();
  await app.register(plugin.resourceServer, { server: createResourceServer(options) });
  const json = (request: FastifyRequest) => summary(request.auth);
  const orgId = (request: FastifyRequest) => (request.params as { orgId: string }).orgId;
  app.get('/public', { config: { auth: { optional: true } } }, json);
  app.get('/me', json);
  app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, json);
  app.get('/either', { preHandler: plugin.requireAnyScope('a', 'b') }, json);
  app.get('/admin', { config: { auth: { roles: ['orders.admin'] } } }, json);
  app.post('/orgs/:orgId/orders', { preHandler: plugin.requireRole('orders.write', { org: orgId }) }, async (request, reply) =>
    reply.code(201).send({ orgId: orgId(request), ...summary(request.auth) }),
  );
  app.get('/mine', { config: { auth: { roles: ['orders.read'], roleOrg: 'own' } } }, json);
  app.get('/active', { preHandler: [plugin.requireActiveToken(), plugin.requireRole('orders.read')] }, json);
  await app.register(async (reports) => {
    reports.addHook('preHandler', plugin.requireScope('reports:read'));
    reports.get('/', json);
    reports.get('/export', { config: { auth: { roles: ['reports.export'] } } }, json);
  }, { prefix: '/reports' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

async function nestApp(kind: 'nest-express' | 'nest-fastify', options: ResourceServerOptions, logger: LoggerService | false) {
  @Module({
    imports: [ResourceServerModule.forRoot(options)],
    controllers: [TestController, ReportsController],
  })
  class AppModule {}
  const adapter = kind === 'nest-express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, { logger, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => app.close() };
}

/** Starts the test routes on one framework, on 127.0.0.1 and a random port. */
export async function startApp(kind: AppKind, options: ResourceServerOptions, logger: LoggerService | false = false): Promise<RunningApp> {
  if (kind === 'fastify') return fastifyApp(options);
  if (!isExpress(kind)) return nestApp(kind as 'nest-express' | 'nest-fastify', options, logger);
  const server = expressApp(options, kind === 'express4' ? 4 : 5).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
