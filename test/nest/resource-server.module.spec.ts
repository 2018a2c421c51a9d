import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { ResourceServerGuard, ResourceServerModule, RequireRole } from '../../lib/nest/index.js';
import { testKeys } from '../support/test-keys.js';

@Controller('orders')
class OrdersController {
  @Get() @RequireRole('orders.read') list() {
    return [];
  }
}

describe('ResourceServerModule', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(() => issuer.close());

  async function boot(imports: unknown[]): Promise<INestApplication> {
    @Module({ imports: imports as never[], controllers: [OrdersController] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.init();
    return app;
  }

  it('forRootAsync reads its options from @nestjs/config', async () => {
    const app = await boot([
      ResourceServerModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ZITADEL_ISSUER: issuer.issuer, ZITADEL_PROJECT_ID: 'test-project' })] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          issuer: config.getOrThrow<string>('ZITADEL_ISSUER'),
          audience: config.getOrThrow<string>('ZITADEL_PROJECT_ID'),
          projectId: config.getOrThrow<string>('ZITADEL_PROJECT_ID'),
        }),
      }),
    ]);
    try {
      const allowed = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
      expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${allowed}`)).status).toBe(200);
      expect((await request(app.getHttpServer()).get('/orders')).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it.each([
    [{ audience: 'x' }, '"issuer"'],
    [{ issuer: 'https://acme.zitadel.cloud' }, '"audience"'],
    [{ issuer: 'http://acme.example.com', audience: 'x' }, '"issuer" option must be an https: URL'],
    [{ issuer: 'https://acme.zitadel.cloud', audience: 'x', algorithms: ['HS256'] }, '"algorithms" option contains "HS256"'],
  ])('refuses to boot with %j, naming the option', async (options, message) => {
    await expect(boot([ResourceServerModule.forRoot(options as never)])).rejects.toThrow(message);
    await expect(
      boot([ResourceServerModule.forRootAsync({ useFactory: async () => options as never })]),
    ).rejects.toThrow(message);
  });

  it('denies execution context types it does not know (graphql, rpc and ws: test/nest/contexts)', async () => {
    const server = createResourceServer({ issuer: issuer.issuer, audience: 'test-project' });
    const guard = new ResourceServerGuard(server);
    for (const type of ['kafka-custom', 'unknown']) {
      const context = { getType: () => type, getHandler: () => () => undefined, getClass: () => OrdersController } as unknown as ExecutionContext;
      await expect(activate(guard, context)).resolves.toBe(false);
    }
  });
});

/** The guard's answer as a promise: it decides synchronously when nothing needs I/O (and may throw then). */
async function activate(guard: ResourceServerGuard, context: ExecutionContext): Promise<boolean> {
  return guard.canActivate(context);
}
