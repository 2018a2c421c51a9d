/**
 * The test routes of support/apps.ts as a Nest app (Express or Fastify adapter), loaded only
 * by suites that start a Nest kind: Nest is the largest import of the test run.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import type { Principal } from '../../lib/core/principal.js';
import {
  Caller,
  Public,
  RequireActiveToken,
  RequireAnyScope,
  RequireRole,
  RequireScope,
  ResourceServerModule,
} from '../../lib/nest/index.js';
import { summary } from './core-app.js';
import type { RunningApp } from './apps.js';

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

export async function nestApp(kind: 'nest-express' | 'nest-fastify', options: ResourceServerOptions, logger: LoggerService | false): Promise<RunningApp> {
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
