/**
 * Nest route policy: `@Authenticated()` ("any valid token — stated explicitly") on a method
 * of a `@Public()` controller. The README says a method with requirements of its own stays
 * protected on a public controller; `@Authenticated()` is the explicit "a valid token is
 * required" marker, yet it adds no rule, so `readRoutePolicy` makes the method public: no
 * token → 200, an invalid token → 200, and the policy report says `access: 'public'`.
 * Neither the guard nor the startup conflict check notices the contradiction. (The previous
 * guard behaved the same: not a regression.)
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { Authenticated, Caller, Public, ResourceServerModule, RoutePolicyInspector } from '../../../lib/nest/index.js';
import type { Principal } from '../../../lib/core/principal.js';
import { get } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

@Controller('catalog') @Public()
class CatalogController {
  @Get() browse(@Caller() caller?: Principal) {
    return { subject: caller?.subject ?? null };
  }
  @Get('mine') @Authenticated() mine(@Caller() caller?: Principal) {
    return { subject: caller?.subject ?? null };
  }
}

describe('@Authenticated() on a method of a @Public() controller', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    @Module({
      imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: false })],
      controllers: [CatalogController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('requires a valid token (or the app refuses to start)', async () => {
    expect((await get(`${url}/catalog`)).status).toBe(200);
    const none = await get(`${url}/catalog/mine`);
    const invalid = await get(`${url}/catalog/mine`, 'not-a-valid-token');
    const report = app.get(RoutePolicyInspector).report().find((r) => r.handler === 'mine');
    // Observed: [200, 200, 'public'].
    expect([none.status, invalid.status, report?.access]).toEqual([401, 401, 'authenticated']);
  });
});
