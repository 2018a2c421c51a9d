/**
 * Attack on 6aeae61 (the subscription interceptor is made only when `hasGraphqlSubscriptions`
 * finds a provider *class* with a `@Subscription()`). @nestjs/graphql serves the resolvers of
 * every provider *instance*, whatever made it, so a resolver can be registered in ways the
 * scan skips:
 *
 * - `{ provide: TicksResolver, useValue: new TicksResolver() }`: the scan skips it (no
 *   metatype), and so does `RoutePolicyInspector` (it needs a metatype too). Fail open: the
 *   app starts without the interceptor, and a subscription streams on past its token's
 *   expiry (observed: 8 events, the last ones long after exp + tolerance, no error). With
 *   2bd4abc the interceptor was installed and the stream ended with "The token has expired".
 * - `{ provide: TicksResolver, useFactory: () => new TicksResolver() }`: the scan skips it
 *   (`inject` is set), the inspector sees it: the app refuses to start (safe, but an app that
 *   started before no longer does).
 *
 * Either outcome below is acceptable for a value provider: refusing to start, or a stream
 * that ends at expiry. Not fixed here (lib/nest/resource-server.policy.ts: the scan and the
 * inspector could read `wrapper.instance` when there is no class).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module } from '@nestjs/common';
import type { INestApplication, Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { RequireRole, ResourceServerModule } from '../../../lib/nest/index.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { subscribe, ticks } from '../../nest/contexts/subscription-client.js';
import type { Outcome } from '../../nest/contexts/subscription-client.js';

let offset = 0;
const now = () => Date.now() + offset;

@Resolver()
class TicksResolver {
  @Query(() => String) ping(): string {
    return 'pong';
  }

  @Subscription(() => Number) @RequireRole('orders.read') ticks(): AsyncGenerator<{ ticks: number }> {
    return ticks();
  }
}

describe('GraphQL subscription resolvers not provided as a class', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: 'shared', now });
  });
  afterAll(async () => {
    await issuer.close();
  });
  afterEach(() => {
    offset = 0;
  });

  async function boot(provider: Provider): Promise<INestApplication> {
    @Module({
      imports: [
        ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', now, audit: false }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          subscriptions: { 'graphql-ws': true },
          context: (ctx: { req?: unknown; extra?: { request?: unknown } }) => ({ req: ctx.req ?? ctx.extra?.request }),
        }),
      ],
      providers: [provider],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    return app;
  }

  /** Subscribes with a reader's token; after the third event the clock passes exp + tolerance. */
  async function streamPastExpiry(app: INestApplication): Promise<Outcome> {
    const wsUrl = `ws://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/graphql`;
    const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) }, { expiresIn: 300 });
    return subscribe(wsUrl, 'ticks', { authorization: `Bearer ${token}` }, (values) => {
      if (values.length === 3) offset += 306_000;
      return values.length >= 6 ? 'stop' : undefined;
    });
  }

  it('a resolver provided by value: the app refuses to start, or its stream ends at the token\'s expiry', async () => {
    let app: INestApplication;
    try {
      app = await boot({ provide: TicksResolver, useValue: new TicksResolver() });
    } catch (error) {
      expect(String(error)).toContain('need ResourceServerSubscriptionInterceptor');
      return;
    }
    try {
      const outcome = await streamPastExpiry(app);
      // Observed: { values: [1, 2, 3, 4, 5, 6], error: undefined } (no interceptor: nothing ends it).
      expect([outcome.values, outcome.error?.message]).toEqual([[1, 2, 3], 'The token has expired']);
    } finally {
      await app.close();
    }
  });

  it('a resolver made by a factory starts as it did, and its stream ends at the token\'s expiry', async () => {
    // Observed: boot() rejects (RoutePolicyInspector: the interceptor is not installed).
    const app = await boot({ provide: TicksResolver, useFactory: () => new TicksResolver() });
    try {
      const outcome = await streamPastExpiry(app);
      expect([outcome.values, outcome.error?.message]).toEqual([[1, 2, 3], 'The token has expired']);
    } finally {
      await app.close();
    }
  });
});
