import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, GraphQLModule, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '../../../lib/core/principal.js';
import { Caller, Public, RequireActiveToken, RequireRole, RequireScope, ResourceServerModule } from '../../../lib/nest/index.js';
import { send } from '../../support/send.js';
import { contextFixture, expectNoTokenLeak } from './support.js';
import type { ContextFixture } from './support.js';

@ObjectType()
class Order {
  @Field(() => String) id!: string;
}

@Resolver(() => Order)
class OrdersResolver {
  @Query(() => Order) order(): Order {
    return { id: 'o-1' };
  }

  /** Field resolvers run no guards by default (`fieldResolverEnhancers`); the operation's caller is still there. */
  @ResolveField(() => String) owner(@Caller() caller: Principal): string {
    return caller.subject;
  }

  @Query(() => String, { nullable: true }) @RequireRole('orders.admin') maybe(): string {
    return 'maybe';
  }

  @Query(() => String) me(@Caller() caller: Principal): string {
    return caller.subject;
  }

  @Query(() => String) @RequireRole('orders.admin') admin(@Caller() caller: Principal): string {
    return `admin:${caller.subject}`;
  }

  @Query(() => String, { nullable: true }) @Public() open(@Caller() caller?: Principal): string | null {
    return caller?.subject ?? null;
  }

  @Query(() => String) @RequireScope('orders:read') scoped(): string {
    return 'scoped';
  }

  @Query(() => String) @RequireRole('orders.write', { org: (args: { orgId: string }) => args.orgId })
  orgOrders(@Args('orgId') orgId: string, @Caller() caller: Principal): string {
    return `${orgId}:${caller.subject}`;
  }

  @Query(() => String) @RequireActiveToken() active(@Caller() caller: Principal): string {
    return caller.verifiedBy;
  }
}

interface GraphqlAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  };
}

describe('GraphQL resolvers (Apollo on Express)', () => {
  let fixture: ContextFixture;
  let app: INestApplication;
  let url = '';

  async function query(source: string, token?: string, headers: Record<string, string> = {}): Promise<GraphqlAnswer> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
      body: JSON.stringify({ query: source }),
    });
    const answer = { status: response.status, headers: response.headers, body: (await response.json()) as GraphqlAnswer['body'] };
    fixture.seen.push(answer.body, Object.fromEntries(response.headers));
    return answer;
  }

  beforeAll(async () => {
    fixture = await contextFixture();
    @Module({
      imports: [
        ResourceServerModule.forRoot(fixture.options),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true }),
      ],
      providers: [OrdersResolver],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: fixture.logs, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await app?.close();
    await fixture.close();
  });
  beforeEach(() => {
    fixture.events.length = 0;
  });

  it('answers a query with a valid token, @Caller() giving the subject', async () => {
    const answer = await query('{ me }', await fixture.jwt());
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { me: '200000000000000001' } });
  });

  it('refuses a query without a token: a GraphQL error with the 401 body in extensions', async () => {
    const answer = await query('{ me }');
    // Apollo answers a resolver error with HTTP 200 and { data: null, errors } (nullable root).
    expect(answer.status).toBe(200);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]).toMatchObject({
      message: 'A bearer token is required',
      path: ['me'],
      extensions: {
        code: 'UNAUTHENTICATED',
        originalError: { statusCode: 401, error: 'unauthorized', error_description: 'A bearer token is required' },
      },
    });
  });

  it('refuses an invalid token with invalid_token', async () => {
    const token = await fixture.jwt({ exp: Math.floor(Date.now() / 1000) - 600 });
    const answer = await query('{ me }', token);
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    );
    expect(answer.body.errors![0]!.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      originalError: { statusCode: 401, error: 'invalid_token', error_description: 'The token has expired' },
    });
  });

  it('refuses two Authorization headers with invalid_request (BAD_REQUEST)', async () => {
    const token = await fixture.jwt();
    const answer = await send(url, {
      method: 'POST',
      headers: [['content-type', 'application/json'], ['authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]],
      body: JSON.stringify({ query: '{ me }' }),
    });
    fixture.seen.push(answer.text, answer.headers);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="Only one Authorization header is allowed"',
    );
    expect((answer.body as GraphqlAnswer['body']).errors![0]).toMatchObject({
      message: 'Only one Authorization header is allowed',
      extensions: { code: 'BAD_REQUEST', originalError: { statusCode: 400, error: 'invalid_request' } },
    });
  });

  it('refuses a token without the role with a 403-class error naming the role', async () => {
    const answer = await query('{ admin }', await fixture.jwt(fixture.issuer.roleClaims(['orders.read'])));
    expect(answer.body.errors![0]).toMatchObject({
      path: ['admin'],
      extensions: { code: 'FORBIDDEN', originalError: { statusCode: 403, error: 'insufficient_scope' } },
    });
    expect(answer.body.errors![0]!.message).toContain('orders.admin');
    expect(answer.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const allowed = await query('{ admin }', await fixture.jwt(fixture.issuer.roleClaims(['orders.admin'])));
    expect(allowed.body).toEqual({ data: { admin: 'admin:200000000000000001' } });
  });

  it('answers a @Public() query without a token, and with one gives the caller', async () => {
    expect((await query('{ open }')).body).toEqual({ data: { open: null } });
    expect((await query('{ open }', 'not-a-valid-token')).body).toEqual({ data: { open: null } });
    expect((await query('{ open }', await fixture.jwt())).body).toEqual({ data: { open: '200000000000000001' } });
  });

  it('checks scopes', async () => {
    const refused = await query('{ scoped }', await fixture.jwt({ scope: 'openid' }));
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', originalError: { error: 'insufficient_scope' } });
    expect(refused.headers.get('www-authenticate')).toContain('scope="orders:read"');
    expect((await query('{ scoped }', await fixture.jwt({ scope: 'orders:read' }))).body).toEqual({ data: { scoped: 'scoped' } });
  });

  it('passes the field arguments to organization selectors', async () => {
    const token = await fixture.jwt(fixture.issuer.roleClaims({ 'orders.write': ['300000000000000003'] }));
    expect((await query('{ orgOrders(orgId: "300000000000000003") }', token)).body).toEqual({
      data: { orgOrders: '300000000000000003:200000000000000001' },
    });
    const refused = await query('{ orgOrders(orgId: "400000000000000004") }', token);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('@RequireActiveToken() introspects', async () => {
    expect((await query('{ active }', fixture.opaque())).body).toEqual({ data: { active: 'introspection' } });
  });

  it('answers 503 (Retry-After, status in extensions) while the issuer is down', async () => {
    await fixture.issuer.goDown('refuse');
    try {
      const answer = await query('{ me }', fixture.opaque());
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.body.errors![0]!.extensions).toMatchObject({
        code: 'INTERNAL_SERVER_ERROR',
        status: 503,
        originalError: { statusCode: 503, error: 'temporarily_unavailable' },
      });
    } finally {
      await fixture.issuer.comeBack();
    }
  });

  it('refuses only the refused field of an operation', async () => {
    const answer = await query('{ open maybe }', await fixture.jwt());
    expect(answer.body.data).toEqual({ open: '200000000000000001', maybe: null });
    expect(answer.body.errors!.map((e) => e.path)).toEqual([['maybe']]);
  });

  it('gives the operation\'s caller to field resolvers', async () => {
    expect((await query('{ order { id owner } }', await fixture.jwt())).body).toEqual({
      data: { order: { id: 'o-1', owner: '200000000000000001' } },
    });
  });

  it('records one audit event per resolver decision, with the field as route template', async () => {
    await query('{ admin }', await fixture.jwt({ jti: 'gql-allow', ...fixture.issuer.roleClaims(['orders.admin']) }), { 'x-request-id': 'gql-1' });
    await query('{ admin }');
    const events = await fixture.takeEvents(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      decision: 'allow',
      status: 200,
      tokenId: 'gql-allow',
      route: { method: 'POST', template: 'Query.admin', path: '/graphql' },
      requestId: 'gql-1',
      ip: expect.stringContaining('127.0.0.1'),
    });
    expect(events[1]).toMatchObject({ decision: 'deny', reason: 'ERR_TOKEN_MISSING', status: 401, route: { template: 'Query.admin' } });
  });

  it('never shows a token to a client, in a log line or in an audit event', () => {
    expectNoTokenLeak(fixture, fixture.events);
    expect(fixture.logs.text()).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
