/**
 * Issue 15 item 10(c): a GraphQL subscription (graphql-ws over a real WebSocket, Apollo on
 * Express) streams only while the decision that started it holds. It ends, with the refusal
 * as the GraphQL error and one audit event, when its token expires (before the next event,
 * and on an idle stream by the expiry timer) or is revoked; a valid one streams on.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import type { AuditEvent } from '../../../lib/core/audit.js';
import { MemoryRevocationList } from '../../../lib/core/revocation.js';
import type { ResourceServer } from '../../../lib/core/resource-server.js';
import { RESOURCE_SERVER, RequireRole, ResourceServerModule, ResourceServerSubscriptionInterceptor } from '../../../lib/nest/index.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { subscribe as subscribeWith, ticks } from './subscription-client.js';
import type { Outcome } from './subscription-client.js';

let offset = 0;
const now = () => Date.now() + offset;

/** A stream that never emits (and would emit nothing but this if it did). */
async function* silence(): AsyncGenerator<{ idle: number }> {
  await new Promise(() => undefined);
  yield { idle: 0 };
}

@Resolver()
class TicksResolver {
  @Query(() => String) ping(): string {
    return 'pong';
  }

  @Subscription(() => Number) @RequireRole('orders.read') ticks(): AsyncGenerator<{ ticks: number }> {
    return ticks();
  }

  @Subscription(() => Number) @RequireRole('orders.read') idle(): AsyncGenerator<{ idle: number }> {
    return silence();
  }
}

describe('GraphQL subscriptions end when their decision no longer holds (graphql-ws, Apollo on Express)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let rs: ResourceServer;
  let wsUrl = '';
  const events: AuditEvent[] = [];
  const revocation = new MemoryRevocationList();

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: 'shared', now });
    @Module({
      imports: [
        ResourceServerModule.forRoot({
          issuer: issuer.issuer,
          audience: 'test-project',
          projectId: 'test-project',
          now,
          revocation,
          audit: (event) => events.push(event),
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          subscriptions: { 'graphql-ws': true },
          // HTTP operations bring { req }; graphql-ws brings { extra: { request } }, the upgrade request.
          context: (ctx: { req?: unknown; extra?: { request?: unknown } }) => ({ req: ctx.req ?? ctx.extra?.request }),
        }),
      ],
      providers: [TicksResolver],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    rs = app.get(RESOURCE_SERVER);
    wsUrl = `ws://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });
  beforeEach(() => {
    offset = 0;
    events.length = 0;
  });

  /** Subscribes with the token on the upgrade request; `onValue` sees each value as it comes. */
  const subscribe = (field: 'ticks' | 'idle', token: string, onValue: (value: number, values: number[]) => void | 'stop' = () => undefined): Promise<Outcome> =>
    subscribeWith(wsUrl, field, { authorization: `Bearer ${token}` }, (values) => onValue(values.at(-1)!, values));

  const reader = () => issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) }, { expiresIn: 300 });

  it('ends before the next event once the token has expired: no event after exp, the 401 as the error, one audit event', async () => {
    const token = await reader();
    const outcome = await subscribe('ticks', token, (_value, values) => {
      if (values.length === 3) offset += 306_000; // the clock passes exp + clockTolerance (5 s)
    });
    expect(outcome.values).toEqual([1, 2, 3]);
    expect(outcome.error).toMatchObject({ message: 'The token has expired', extensions: { originalError: { statusCode: 401, error: 'invalid_token' } } });
    const refusals = events.filter((event) => event.decision === 'deny');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ subject: 'svc-1', status: 401, reason: 'ERR_TOKEN_EXPIRED', route: { template: 'Subscription.ticks' } });
    // The allowed start was recorded once; the events in between recorded nothing.
    expect(events.filter((event) => event.decision === 'allow')).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('ends an idle stream at the token\'s expiry (the timer), without waiting for an event', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-2', ...issuer.roleClaims(['orders.read']) }, { expiresIn: 1 });
    const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    // The server's clock moves on to 800 ms before exp + clockTolerance (5 s, the default):
    // the stream starts, and the timer (real time, the subject here) has 800 ms to run.
    offset = expiresAt + 5000 - 800 - Date.now();
    const outcome = await subscribe('idle', token);
    expect(outcome.values).toEqual([]);
    expect(outcome.error?.message).toBe('The token has expired');
    // Accepted until exp + clockTolerance, like any request; ended then (on the server's clock).
    expect(outcome.endedAt + offset).toBeGreaterThanOrEqual(expiresAt + 5000);
    expect(outcome.endedAt + offset).toBeLessThan(expiresAt + 6500);
  });

  it('ends before the next event once the token is revoked', async () => {
    const token = await reader();
    const outcome = await subscribe('ticks', token, (_value, values) => {
      if (values.length === 2) void rs.revoke({ token });
    });
    expect(outcome.values).toEqual([1, 2]);
    expect(outcome.error).toMatchObject({ message: 'The token has been revoked' });
  });

  it('a valid token streams on (the checks before each event cost no upstream call); a caller without the role never starts', async () => {
    const token = await reader();
    const warmUp = await fetch(wsUrl.replace('ws:', 'http:'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ ping }"}' });
    expect(await warmUp.json()).toEqual({ data: { ping: 'pong' } });
    issuer.resetCounts();
    const outcome = await subscribe('ticks', token, (_value, values) => (values.length === 10 ? 'stop' : undefined));
    expect(outcome).toMatchObject({ values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], error: undefined });
    expect(issuer.requests).toMatchObject({ jwks: 0, introspection: 0 });
    expect(events.filter((event) => event.decision === 'deny')).toEqual([]);

    const refused = await subscribe('ticks', await issuer.mintJwt({ sub: 'svc-3' }));
    expect(refused.values).toEqual([]);
    expect(refused.error).toMatchObject({ extensions: { originalError: { statusCode: 403, error: 'insufficient_scope' } } });
  });
});

describe('an app with restricted subscriptions where the subscription interceptor could not be installed', () => {
  async function boot(providers: Provider[] = []): Promise<INestApplication> {
    const issuer = await createTestIssuer({ keys: 'shared' });
    // Started from a directory (and with a main script) where @nestjs/graphql does not
    // resolve: the module cannot tell that the app has GraphQL, so it installs no interceptor.
    const cwd = process.cwd();
    const script = process.argv[1];
    process.chdir(tmpdir());
    process.argv[1] = join(tmpdir(), 'main.js');
    try {
      @Module({
        imports: [
          ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' }),
          GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, subscriptions: { 'graphql-ws': true } }),
        ],
        providers: [TicksResolver, ...providers],
      })
      class ElsewhereModule {}
      process.chdir(cwd);
      const app = await NestFactory.create(ElsewhereModule, { logger: false, abortOnError: false });
      await app.init();
      return app;
    } finally {
      process.chdir(cwd);
      process.argv[1] = script!;
      await issuer.close();
    }
  }

  it('refuses to start, naming the subscriptions and the provider to add', async () => {
    await expect(boot()).rejects.toThrow(
      'these GraphQL subscriptions need ResourceServerSubscriptionInterceptor, which ends them when their token expires or is revoked, and it is not installed; ' +
        'add { provide: APP_INTERCEPTOR, useClass: ResourceServerSubscriptionInterceptor } to a module\'s providers:\n  Subscription.ticks (TicksResolver.ticks)\n  Subscription.idle (TicksResolver.idle)',
    );
  });

  it('starts once the interceptor is provided', async () => {
    const app = await boot([{ provide: APP_INTERCEPTOR, useClass: ResourceServerSubscriptionInterceptor }]);
    await app.close();
  });
});
