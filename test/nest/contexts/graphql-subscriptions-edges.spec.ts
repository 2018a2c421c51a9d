/**
 * GraphQL subscriptions (graphql-ws over a real WebSocket, Apollo on Express) at the edges
 * of `rs.recheck()` and the subscription interceptor: several issuers whose opaque tokens
 * are routed by a request header, a source stream that fails, and an app that applies the
 * guard itself (`globalGuard: false`).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, UseGuards } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import type { AuditEvent } from '../../../lib/core/audit.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { RequireRole, ResourceServerGuard, ResourceServerModule } from '../../../lib/nest/index.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { testKeys } from '../../support/test-keys.js';
import { subscribe, TICK_MS, ticks } from './subscription-client.js';

/** A source that emits once, then fails (a broken upstream, a bad cursor…). */
async function* broken(): AsyncGenerator<{ broken: number }> {
  yield { broken: 1 };
  await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  throw new Error('the event source failed');
}

@Resolver()
class StreamsResolver {
  @Query(() => String) ping(): string {
    return 'pong';
  }

  @Subscription(() => Number) @RequireRole('orders.read') ticks(): AsyncGenerator<{ ticks: number }> {
    return ticks();
  }

  @Subscription(() => Number) @RequireRole('orders.read') broken(): AsyncGenerator<{ broken: number }> {
    return broken();
  }
}

/** The same resolver with the guard applied by hand (`globalGuard: false`). */
@Resolver()
@UseGuards(ResourceServerGuard)
class GuardedByHandResolver {
  @Query(() => String) ping(): string {
    return 'pong';
  }

  @Subscription(() => Number) @RequireRole('orders.read') ticks(): AsyncGenerator<{ ticks: number }> {
    return ticks();
  }
}

async function startApp(resolver: unknown, options: ResourceServerOptions, extras: { globalGuard?: boolean } = {}): Promise<{ app: INestApplication; wsUrl: string }> {
  @Module({
    imports: [
      ResourceServerModule.forRoot({ ...options, ...extras }),
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        subscriptions: { 'graphql-ws': true },
        context: (ctx: { req?: unknown; extra?: { request?: unknown } }) => ({ req: ctx.req ?? ctx.extra?.request }),
      }),
    ],
    providers: [resolver as never],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, wsUrl: `ws://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/graphql` };
}

describe('a subscription with an opaque token of one of several issuers, routed by a header (opaqueTokenIssuer)', () => {
  let tenantA: TestIssuer;
  let tenantB: TestIssuer;
  let app: INestApplication;
  let wsUrl = '';
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    tenantA = await createTestIssuer({ keys: await testKeys(), projectId: 'project-a', audience: 'project-a', introspectionClient: { clientId: 'api-a', clientSecret: 'a' } });
    tenantB = await createTestIssuer({ keys: await testKeys(), projectId: 'project-b', audience: 'project-b', introspectionClient: { clientId: 'api-b', clientSecret: 'b' } });
    const issuer = (tenant: TestIssuer, name: 'a' | 'b') => ({
      issuer: tenant.issuer,
      audience: `project-${name}`,
      projectId: `project-${name}`,
      introspection: { auth: { type: 'client_secret_basic' as const, clientId: `api-${name}`, clientSecret: name } },
    });
    ({ app, wsUrl } = await startApp(StreamsResolver, {
      issuers: [issuer(tenantA, 'a'), issuer(tenantB, 'b')],
      // Tenant A is the default tenant of this API: a request without the header is A's.
      opaqueTokenIssuer: ({ request }) => (request.headers['x-tenant'] === 'b' ? tenantB.issuer : tenantA.issuer),
      logger: { warn: () => undefined, error: () => undefined },
      audit: (event) => events.push(event),
    }));
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([tenantA?.close(), tenantB?.close()]);
  });

  it("streams on with tenant B's token, which never reaches tenant A's issuer (recheck sees the request the decision saw)", async () => {
    tenantA.resetCounts();
    tenantB.resetCounts();
    const token = tenantB.mintOpaque(tenantB.roleClaims(['orders.read']));
    const outcome = await subscribe(wsUrl, 'ticks', { authorization: `Bearer ${token}`, 'x-tenant': 'b' }, (values) => (values.length === 5 ? 'stop' : undefined));
    expect(outcome).toMatchObject({ values: [1, 2, 3, 4, 5], error: undefined });
    expect(events.filter((event) => event.decision === 'deny')).toEqual([]);
    // Tenant B's token is introspected by B once (then cached); tenant A never sees it.
    expect([tenantA.requests.introspection, tenantB.requests.introspection]).toEqual([0, 1]);
  });
});

describe('subscription streams and their expiry timer', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let wsUrl = '';
  const events: AuditEvent[] = [];
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: 'shared', now });
    ({ app, wsUrl } = await startApp(StreamsResolver, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      clockTolerance: 0,
      now,
      audit: (event) => events.push(event),
    }));
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });

  it('a source that fails ends the subscription with its error, and nothing is decided for it afterwards (no timer left behind)', async () => {
    events.length = 0;
    const token = await issuer.mintJwt({ sub: 'svc-broken', ...issuer.roleClaims(['orders.read']) });
    const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    // The server's clock moves on to 800 ms before exp: the expiry timer is armed for then.
    offset = expiresAt - 800 - Date.now();
    const outcome = await subscribe(wsUrl, 'broken', { authorization: `Bearer ${token}` });
    expect(outcome.values).toEqual([1]);
    expect(outcome.error?.message).toBe('the event source failed');
    // Past the token's expiry (real time: the timer must not fire): a stream that is over has
    // no decision left to make.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - now()) + 300));
    expect(events.filter((event) => event.subject === 'svc-broken' && event.decision === 'deny')).toEqual([]);
  });
});

describe('an app that applies ResourceServerGuard itself (globalGuard: false)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let wsUrl = '';
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: 'shared', now });
    ({ app, wsUrl } = await startApp(GuardedByHandResolver, { issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', now }, { globalGuard: false }));
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });

  it('ends a guarded subscription once its token has expired, as with the global guard', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) }, { expiresIn: 300 });
    const outcome = await subscribe(wsUrl, 'ticks', { authorization: `Bearer ${token}` }, (values) => {
      if (values.length === 3) offset += 306_000;
      // A stream that is never ended would run this test into its timeout: stop it, and fail below.
      return values.length === 20 ? 'stop' : undefined;
    });
    expect(outcome.values).toEqual([1, 2, 3]);
    expect(outcome.error).toMatchObject({ message: 'The token has expired' });
  });
});
