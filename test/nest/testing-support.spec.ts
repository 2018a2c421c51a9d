/**
 * What users' own Nest tests rely on: the global guard can be replaced with Nest's usual
 * `overrideProvider(ResourceServerGuard)`, a `Principal` can be built without a token, and the
 * default audit sink hands structured events to the app's logger.
 */
import 'reflect-metadata';
import { ConsoleLogger, Controller, Get, Module } from '@nestjs/common';
import type { CanActivate, ExecutionContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestIssuer, createTestPrincipal } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import type { AuditEvent } from '../../lib/core/audit.js';
import { Caller, RequireRole, ResourceServerGuard, ResourceServerModule } from '../../lib/nest/index.js';
import type { Principal } from '../../lib/core/principal.js';
import { consoleLoggerJson, silencedStdout } from '../support/log-capture.js';
import { testKeys } from '../support/test-keys.js';

@Controller('orders')
class OrdersController {
  @Get() @RequireRole('orders.read') list(@Caller() caller: Principal) {
    return { subject: caller?.subject ?? null };
  }
}

describe('testing support for Nest apps', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(() => issuer.close());

  const module = () => ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: false });

  it('overrideProvider(ResourceServerGuard) replaces the global guard', async () => {
    const allowAll: CanActivate = { canActivate: (_context: ExecutionContext) => true };
    const testing = await Test.createTestingModule({ imports: [module()], controllers: [OrdersController] })
      .overrideProvider(ResourceServerGuard)
      .useValue(allowAll)
      .compile();
    const app = testing.createNestApplication({ logger: false });
    await app.init();
    try {
      expect((await request(app.getHttpServer()).get('/orders')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('without an override, the same module protects the route', async () => {
    const testing = await Test.createTestingModule({ imports: [module()], controllers: [OrdersController] }).compile();
    const app = testing.createNestApplication({ logger: false });
    await app.init();
    try {
      expect((await request(app.getHttpServer()).get('/orders')).status).toBe(401);
      const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
      expect((await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${token}`)).body).toEqual({ subject: '200000000000000001' });
    } finally {
      await app.close();
    }
  });

  it('createTestPrincipal() builds a caller for controller unit tests', () => {
    const caller = createTestPrincipal({ subject: 'svc-1', roles: ['orders.read'] });
    expect(new OrdersController().list(caller)).toEqual({ subject: 'svc-1' });
    expect(caller).toMatchObject({ subject: 'svc-1', organizationId: '100000000000000001', roles: { 'orders.read': ['100000000000000001'] }, verifiedBy: 'jwks', tokenKind: 'jwt' });
    expect(Object.isFrozen(caller)).toBe(true);
    expect(createTestPrincipal({ organizationId: undefined, roles: ['x'] }).roles).toEqual({ x: [] });
  });

  it.each([
    ['the default Nest logger levels', undefined],
    ['log levels set explicitly', ['log', 'error', 'warn'] as const],
  ])('logs audit events by default as structured objects (%s)', async (_what, levels) => {
    const lines: { message: unknown; context: unknown }[] = [];
    const logger: LoggerService = {
      log: (message: unknown, context?: unknown) => lines.push({ message, context }),
      error: () => undefined,
      warn: () => undefined,
    };
    @Module({ imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' })], controllers: [OrdersController] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger, abortOnError: false });
    if (levels) app.useLogger(logger);
    await app.init();
    try {
      await request(app.getHttpServer()).get('/orders');
      const audit = lines.filter((line) => line.context === 'ResourceServerAudit');
      expect(audit).toHaveLength(1);
      expect(audit[0]!.message).toMatchObject({ version: 1, decision: 'deny', status: 401, reason: 'ERR_TOKEN_MISSING' } satisfies Partial<AuditEvent>);
    } finally {
      await app.close();
    }
  });

  it.each([
    ['text', {}],
    ['json', { json: true }],
  ])("prints each audit event as one JSON line through Nest's ConsoleLogger (%s)", async (mode, options) => {
    @Module({ imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' })], controllers: [OrdersController] })
    class AppModule {}
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.write']));
    const written = await silencedStdout(async () => {
      const app = await NestFactory.create(AppModule, { logger: new ConsoleLogger({ colors: false, ...options }), abortOnError: false });
      await app.init();
      try {
        await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${token}`).expect(403);
      } finally {
        await app.close();
      }
    });
    const audit = written.filter((line) => line.includes('ResourceServerAudit'));
    expect(audit).toHaveLength(1);
    const line = audit[0]!;
    expect(line.trimEnd().includes('\n')).toBe(false);
    const event = mode === 'json' ? (JSON.parse(line) as { message: unknown }).message : consoleLoggerJson(line, 'ResourceServerAudit');
    expect(event).toMatchObject({ version: 1, decision: 'deny', status: 403, reason: 'ERR_ROLE_INSUFFICIENT', subject: '200000000000000001', roles: ['orders.write'] });
    expect(line).not.toContain(token);
  });
});
