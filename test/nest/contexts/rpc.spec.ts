import 'reflect-metadata';
import { createServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Controller, Module } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, GrpcMethod, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import type { ClientProxy } from '@nestjs/microservices';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { firstValueFrom } from 'rxjs';
import type { Principal } from '../../../lib/core/principal.js';
import { Caller, Public, RequireRole, ResourceServerModule } from '../../../lib/nest/index.js';
import { contextFixture, expectNoTokenLeak } from './support.js';
import type { ContextFixture } from './support.js';

const PROTO = fileURLToPath(new URL('./fixtures/orders.proto', import.meta.url));

@Controller()
class OrderMessages {
  @MessagePattern('whoami') whoami(@Caller() caller: Principal): string {
    return caller.subject;
  }

  @MessagePattern('admin') @RequireRole('orders.admin') admin(@Caller() caller: Principal): string {
    return `admin:${caller.subject}`;
  }

  @MessagePattern({ cmd: 'org-orders' }) @RequireRole('orders.write', { org: (data: { orgId: string }) => data.orgId })
  orgOrders(@Payload() data: { orgId: string }, @Caller() caller: Principal): string {
    return `${data.orgId}:${caller.subject}`;
  }

  @MessagePattern('open') @Public() open(@Caller() caller?: Principal): string {
    return caller?.subject ?? 'anonymous';
  }
}

@Controller()
class OrdersService {
  @GrpcMethod('OrdersService', 'WhoAmI') whoAmI(@Payload() _data: unknown, @Caller() caller: Principal): { subject: string } {
    return { subject: caller.subject };
  }

  @GrpcMethod('OrdersService', 'Admin') @RequireRole('orders.admin') admin(@Payload() _data: unknown, @Caller() caller: Principal): { subject: string } {
    return { subject: `admin:${caller.subject}` };
  }

  @GrpcMethod('OrdersService', 'Open') @Public() open(@Payload() _data: unknown, @Caller() caller?: Principal): { subject: string } {
    return { subject: caller?.subject ?? 'anonymous' };
  }
}

async function freePort(): Promise<number> {
  const server: NetServer = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What a refused RPC looks like to the client. */
async function refusal(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a refusal');
}

describe('microservice message handlers over TCP', () => {
  let fixture: ContextFixture;
  let app: INestMicroservice;
  let client: ClientProxy;
  let port = 0;

  function call(pattern: string | Record<string, string>, data: unknown): Promise<unknown> {
    return firstValueFrom(client.send(pattern, data)).then(
      (value) => {
        fixture.seen.push(value);
        return value;
      },
      (error: unknown) => {
        fixture.seen.push(error);
        throw error;
      },
    );
  }
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    fixture = await contextFixture();
    port = await freePort();
    @Module({ imports: [ResourceServerModule.forRoot(fixture.options)], controllers: [OrderMessages] })
    class AppModule {}
    app = await NestFactory.createMicroservice(AppModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: fixture.logs,
      abortOnError: false,
    });
    await app.listen();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }) as ClientProxy;
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await fixture.close();
  });
  beforeEach(() => {
    fixture.events.length = 0;
  });

  it('answers with a valid token in the payload headers, @Caller() giving the subject', async () => {
    expect(await call('whoami', bearer(await fixture.jwt()))).toBe('200000000000000001');
  });

  it('reads `authorization` at the top of the payload too', async () => {
    expect(await call('whoami', { authorization: `Bearer ${await fixture.jwt()}` })).toBe('200000000000000001');
  });

  it('refuses an invalid token: RpcException { status: 401, error: invalid_token }', async () => {
    const error = await refusal(call('whoami', bearer(await fixture.jwt({ exp: Math.floor(Date.now() / 1000) - 600 }))));
    expect(error).toEqual({ status: 401, error: 'invalid_token', error_description: 'The token has expired' });
  });

  it('refuses a message without a token with 401 (no error code)', async () => {
    expect(await refusal(call('whoami', { n: 1 }))).toEqual({ status: 401, error: 'unauthorized', error_description: 'A bearer token is required' });
    expect(await refusal(call('whoami', 42))).toMatchObject({ status: 401 });
  });

  it('refuses two Authorization values with invalid_request', async () => {
    const token = await fixture.jwt();
    expect(await refusal(call('whoami', { headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } }))).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'Only one Authorization header is allowed',
    });
    expect(await refusal(call('whoami', { authorization: `Bearer ${token} ${token}` }))).toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('refuses a payload carrying the token in two shapes (headers.authorization and authorization), even with different tokens', async () => {
    const admin = await fixture.jwt(fixture.issuer.roleClaims(['orders.admin']));
    const plain = await fixture.jwt();
    expect(await refusal(call('whoami', { headers: { authorization: `Bearer ${plain}` }, authorization: `Bearer ${admin}` }))).toEqual({
      status: 400,
      error: 'invalid_request',
      error_description: 'The token must be sent in exactly one place',
    });
  });

  it('refuses a token without the role with 403 naming the role', async () => {
    const error = await refusal(call('admin', bearer(await fixture.jwt(fixture.issuer.roleClaims(['orders.read'])))));
    expect(error).toMatchObject({ status: 403, error: 'insufficient_scope' });
    expect(error.error_description).toContain('orders.admin');
    expect(await call('admin', bearer(await fixture.jwt(fixture.issuer.roleClaims(['orders.admin']))))).toBe('admin:200000000000000001');
  });

  it('passes the payload to organization selectors', async () => {
    const token = await fixture.jwt(fixture.issuer.roleClaims({ 'orders.write': ['300000000000000003'] }));
    expect(await call({ cmd: 'org-orders' }, { ...bearer(token), orgId: '300000000000000003' })).toBe('300000000000000003:200000000000000001');
    expect(await refusal(call({ cmd: 'org-orders' }, { ...bearer(token), orgId: '400000000000000004' }))).toMatchObject({ status: 403 });
  });

  it('answers a @Public() handler without a token, and with one gives the caller', async () => {
    expect(await call('open', {})).toBe('anonymous');
    expect(await call('open', { authorization: 'Bearer not-valid' })).toBe('anonymous');
    expect(await call('open', bearer(await fixture.jwt()))).toBe('200000000000000001');
  });

  it('reads the token from TCP packet metadata (Nest 12 setOnDispatchHook); metadata and payload both is invalid_request', async () => {
    const token = await fixture.jwt();
    const withMetadata = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }) as ClientProxy & {
      setOnDispatchHook?: (hook: (packet: { metadata?: unknown }) => void) => void;
    };
    if (typeof withMetadata.setOnDispatchHook !== 'function') return; // Nest 11: no packet metadata
    withMetadata.setOnDispatchHook((packet) => {
      packet.metadata = { authorization: `Bearer ${token}` };
    });
    try {
      expect(await firstValueFrom(withMetadata.send('whoami', { n: 1 }))).toBe('200000000000000001');
      expect(await refusal(firstValueFrom(withMetadata.send('whoami', bearer(token))))).toEqual({
        status: 400,
        error: 'invalid_request',
        error_description: 'The token must be sent in exactly one place',
      });
    } finally {
      await withMetadata.close();
    }
  });

  it('answers 503 while the issuer is down', async () => {
    await fixture.issuer.goDown('refuse');
    try {
      expect(await refusal(call('whoami', bearer(fixture.opaque())))).toMatchObject({ status: 503, error: 'temporarily_unavailable' });
    } finally {
      await fixture.issuer.comeBack();
    }
  });

  it('records one audit event per decision, with the pattern as route', async () => {
    await call('admin', { headers: { authorization: `Bearer ${await fixture.jwt({ jti: 'rpc-allow', ...fixture.issuer.roleClaims(['orders.admin']) })}`, 'x-request-id': 'rpc-1' } });
    await refusal(call({ cmd: 'org-orders' }, { orgId: '1' }));
    const events = await fixture.takeEvents(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      decision: 'allow',
      tokenId: 'rpc-allow',
      route: { method: 'RPC', template: 'admin', path: 'admin' },
      requestId: 'rpc-1',
      ip: expect.stringContaining('127.0.0.1'),
    });
    expect(events[1]).toMatchObject({ decision: 'deny', reason: 'ERR_TOKEN_MISSING', status: 401, route: { method: 'RPC', template: '{"cmd":"org-orders"}' } });
  });

  it('never shows a token to a client, in a log line or in an audit event', () => {
    expectNoTokenLeak(fixture, fixture.events);
  });
});

interface OrdersClient extends grpc.Client {
  WhoAmI(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, reply?: { subject: string }) => void): void;
  Admin(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, reply?: { subject: string }) => void): void;
  Open(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, reply?: { subject: string }) => void): void;
}

describe('gRPC methods', () => {
  let fixture: ContextFixture;
  let app: INestMicroservice;
  let client: OrdersClient;

  function call(method: 'WhoAmI' | 'Admin' | 'Open', ...authorization: string[]): Promise<{ subject: string }> {
    const metadata = new grpc.Metadata();
    for (const value of authorization) metadata.add('authorization', value);
    return new Promise((resolve, reject) => {
      client[method]({}, metadata, (error, reply) => {
        fixture.seen.push(error ? { code: error.code, details: error.details, message: error.message, metadata: error.metadata?.getMap() } : reply);
        if (error) reject(error);
        else resolve(reply!);
      });
    });
  }

  beforeAll(async () => {
    fixture = await contextFixture();
    const port = await freePort();
    @Module({ imports: [ResourceServerModule.forRoot(fixture.options)], controllers: [OrdersService] })
    class AppModule {}
    app = await NestFactory.createMicroservice(AppModule, {
      transport: Transport.GRPC,
      options: { package: 'orders', protoPath: PROTO, url: `127.0.0.1:${port}` },
      logger: fixture.logs,
      abortOnError: false,
    });
    await app.listen();
    const definition = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)) as unknown as {
      orders: { OrdersService: new (address: string, credentials: grpc.ChannelCredentials) => OrdersClient };
    };
    client = new definition.orders.OrdersService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await app?.close();
    await fixture.close();
  });
  beforeEach(() => {
    fixture.events.length = 0;
  });

  it('answers with a valid token in the metadata, @Caller() giving the subject', async () => {
    expect(await call('WhoAmI', `Bearer ${await fixture.jwt()}`)).toEqual({ subject: '200000000000000001' });
  });

  it('refuses a call without a token: UNAUTHENTICATED (16) with a www-authenticate trailer', async () => {
    const error = (await refusal(call('WhoAmI'))) as unknown as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toBe('A bearer token is required');
    expect(error.metadata.get('www-authenticate')).toEqual(['Bearer realm="api"']);
  });

  it('refuses an invalid token: UNAUTHENTICATED with invalid_token in the trailer', async () => {
    const error = (await refusal(call('WhoAmI', `Bearer ${await fixture.jwt({ aud: 'someone-else' })}`))) as unknown as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.metadata.get('www-authenticate')).toEqual([
      'Bearer realm="api", error="invalid_token", error_description="The token\'s aud claim is not accepted"',
    ]);
  });

  it('refuses malformed credentials: INVALID_ARGUMENT (3)', async () => {
    // grpc-js (HTTP/2) will not send two `authorization` values at all; a joined value is the way to try.
    const token = await fixture.jwt();
    const error = (await refusal(call('WhoAmI', `Bearer ${token}, Bearer ${token}`))) as unknown as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('Malformed Bearer credentials');
    expect(error.metadata.get('www-authenticate')).toEqual([
      'Bearer realm="api", error="invalid_request", error_description="Malformed Bearer credentials"',
    ]);
  });

  it('refuses a token without the role: PERMISSION_DENIED (7) naming the role', async () => {
    const error = (await refusal(call('Admin', `Bearer ${await fixture.jwt(fixture.issuer.roleClaims(['orders.read']))}`))) as unknown as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(error.details).toContain('orders.admin');
    expect(await call('Admin', `Bearer ${await fixture.jwt(fixture.issuer.roleClaims(['orders.admin']))}`)).toEqual({ subject: 'admin:200000000000000001' });
  });

  it('answers a @Public() method without a token', async () => {
    expect(await call('Open')).toEqual({ subject: 'anonymous' });
    expect(await call('Open', `Bearer ${await fixture.jwt()}`)).toEqual({ subject: '200000000000000001' });
  });

  it('answers UNAVAILABLE (14) with a retry-after trailer while the issuer is down', async () => {
    await fixture.issuer.goDown('refuse');
    try {
      const error = (await refusal(call('WhoAmI', `Bearer ${fixture.opaque()}`))) as unknown as grpc.ServiceError;
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.metadata.get('retry-after')[0]).toMatch(/^\d+$/);
    } finally {
      await fixture.issuer.comeBack();
    }
  });

  it('records audit events with the gRPC method path as route', async () => {
    await call('Admin', `Bearer ${await fixture.jwt({ jti: 'grpc-allow', ...fixture.issuer.roleClaims(['orders.admin']) })}`);
    await refusal(call('Admin'));
    const events = await fixture.takeEvents(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      decision: 'allow',
      tokenId: 'grpc-allow',
      route: { method: 'RPC', template: '/orders.OrdersService/Admin', path: '/orders.OrdersService/Admin' },
      ip: '127.0.0.1',
    });
    expect(events[1]).toMatchObject({ decision: 'deny', reason: 'ERR_TOKEN_MISSING', status: 401 });
  });

  it('never shows a token to a client, in a log line or in an audit event', () => {
    expectNoTokenLeak(fixture, fixture.events);
  });
});
