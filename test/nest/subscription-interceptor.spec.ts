/**
 * The subscription interceptor costs every call of a Nest app that has it (any interceptor
 * puts each call through Nest's RxJS pipeline), so `ResourceServerModule` makes it only when
 * a resolver has a `@Subscription()` — its own or inherited. An app where @nestjs/graphql
 * is installed but that streams nothing gets none; one that streams gets it, and its HTTP
 * routes and queries pass through it untouched.
 */
import 'reflect-metadata';
import { jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Caller, RequireRole, ResourceServerModule } from '../../lib/nest/index.js';
import type { Principal } from '../../lib/core/principal.js';
import { ResourceServerSubscriptionInterceptor } from '../../lib/nest/resource-server.subscriptions.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { testKeys } from '../support/test-keys.js';
import { ticks } from './contexts/subscription-client.js';

@Controller('orders')
class OrdersController {
  @Get() @RequireRole('orders.read') list(@Caller() caller: Principal): { subject: string } {
    return { subject: caller.subject };
  }
}

@Resolver()
class QueriesOnlyResolver {
  @Query(() => String) @RequireRole('orders.read') ping(): string {
    return 'pong';
  }
}

/** A base resolver whose subscription a concrete resolver inherits. */
abstract class StreamingBase {
  @Subscription(() => Number) @RequireRole('orders.read') ticks(): AsyncGenerator<{ ticks: number }> {
    return ticks();
  }
}

@Resolver()
class InheritedStreamResolver extends StreamingBase {
  @Query(() => String) @RequireRole('orders.read') ping(): string {
    return 'pong';
  }
}

describe('ResourceServerSubscriptionInterceptor is made only for apps with GraphQL subscriptions', () => {
  let issuer: TestIssuer;
  let token = '';

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) });
  });
  afterAll(async () => {
    await issuer.close();
  });

  async function start(resolver: unknown): Promise<{ app: INestApplication; base: string }> {
    @Module({
      imports: [
        ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: issuer.projectId, projectId: issuer.projectId, audit: false }),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, subscriptions: { 'graphql-ws': true } }),
      ],
      controllers: [OrdersController],
      providers: [resolver as never],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    return { app, base: `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}` };
  }

  async function calls(base: string): Promise<void> {
    const authorization = `Bearer ${token}`;
    const orders = await fetch(`${base}/orders`, { headers: { authorization } });
    expect(orders.status).toBe(200);
    expect(await orders.json()).toEqual({ subject: 'svc-1' });
    const query = await fetch(`${base}/graphql`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ping }' }) });
    expect(await query.json()).toEqual({ data: { ping: 'pong' } });
  }

  it('an app without subscriptions gets none: its HTTP routes and queries never go through it', async () => {
    const intercept = jest.spyOn(ResourceServerSubscriptionInterceptor.prototype, 'intercept');
    const { app, base } = await start(QueriesOnlyResolver);
    try {
      await calls(base);
      expect(intercept).not.toHaveBeenCalled();
    } finally {
      intercept.mockRestore();
      await app.close();
    }
  });

  it('an app with a subscription inherited from a base resolver gets it, and it lets other calls through', async () => {
    const intercept = jest.spyOn(ResourceServerSubscriptionInterceptor.prototype, 'intercept');
    const { app, base } = await start(InheritedStreamResolver);
    try {
      await calls(base);
      expect(intercept).toHaveBeenCalled();
    } finally {
      intercept.mockRestore();
      await app.close();
    }
  });
});
