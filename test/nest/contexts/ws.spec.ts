import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io } from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import type { Principal } from '../../../lib/core/principal.js';
import { Caller, Public, RequireRole, ResourceServerModule } from '../../../lib/nest/index.js';
import { contextFixture, expectNoTokenLeak } from './support.js';
import type { ContextFixture } from './support.js';

@WebSocketGateway()
class OrdersGateway {
  @SubscribeMessage('whoami') whoami(@Caller() caller: Principal): string {
    return caller.subject;
  }

  @SubscribeMessage('admin') @RequireRole('orders.admin') admin(@Caller() caller: Principal): string {
    return `admin:${caller.subject}`;
  }

  @SubscribeMessage('org-orders') @RequireRole('orders.write', { org: (data: { orgId: string }) => data.orgId })
  orgOrders(@MessageBody() data: { orgId: string }, @Caller() caller: Principal): string {
    return `${data.orgId}:${caller.subject}`;
  }

  @SubscribeMessage('open') @Public() open(@Caller() caller?: Principal): string {
    return caller?.subject ?? 'anonymous';
  }
}

type Outcome = { ack: unknown } | { exception: Record<string, unknown> };

describe('WebSocket gateways (socket.io)', () => {
  let fixture: ContextFixture;
  let app: INestApplication;
  let url = '';
  const sockets: Socket[] = [];

  async function connect(options: { authorization?: string; token?: string; requestId?: string; polling?: boolean } = {}): Promise<Socket> {
    const extraHeaders: Record<string, string> = {};
    if (options.authorization !== undefined) extraHeaders.authorization = options.authorization;
    if (options.requestId !== undefined) extraHeaders['x-request-id'] = options.requestId;
    const socket = io(url, {
      transports: options.polling ? ['polling', 'websocket'] : ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders,
      ...(options.token === undefined ? {} : { auth: { token: options.token } }),
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }

  /** Emits with an acknowledgement; resolves with the ack, or with the `exception` event Nest emits on a refusal. */
  function exchange(socket: Socket, event: string, data: unknown = {}): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), 2000);
      const onException = (exception: Record<string, unknown>) => {
        clearTimeout(timer);
        fixture.seen.push(exception);
        resolve({ exception });
      };
      socket.once('exception', onException);
      socket.emit(event, data, (ack: unknown) => {
        clearTimeout(timer);
        socket.off('exception', onException);
        fixture.seen.push(ack);
        resolve({ ack });
      });
    });
  }

  beforeAll(async () => {
    fixture = await contextFixture();
    @Module({ imports: [ResourceServerModule.forRoot(fixture.options)], providers: [OrdersGateway] })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: fixture.logs, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await app?.close();
    await fixture.close();
  });
  beforeEach(() => {
    fixture.events.length = 0;
  });

  it('acks with the subject for a handshake Authorization header', async () => {
    const socket = await connect({ authorization: `Bearer ${await fixture.jwt()}` });
    expect(await exchange(socket, 'whoami')).toEqual({ ack: '200000000000000001' });
  });

  it('reads the handshake of a connection that starts with HTTP long-polling', async () => {
    const socket = await connect({ authorization: `Bearer ${await fixture.jwt()}`, polling: true });
    expect(await exchange(socket, 'whoami')).toEqual({ ack: '200000000000000001' });
    expect(await exchange(await connect({ polling: true }), 'whoami')).toMatchObject({ exception: { status: 401 } });
  });

  it('accepts socket.io auth: { token } with or without the Bearer prefix', async () => {
    const token = await fixture.jwt();
    expect(await exchange(await connect({ token }), 'whoami')).toEqual({ ack: '200000000000000001' });
    expect(await exchange(await connect({ token: `Bearer ${token}` }), 'whoami')).toEqual({ ack: '200000000000000001' });
  });

  it('emits an exception with the 401 body without a token', async () => {
    const socket = await connect();
    expect(await exchange(socket, 'whoami')).toEqual({
      exception: { status: 401, error: 'unauthorized', error_description: 'A bearer token is required' },
    });
    // the connection stays usable
    expect(await exchange(socket, 'open')).toEqual({ ack: 'anonymous' });
  });

  it('emits invalid_token for a bad token', async () => {
    const socket = await connect({ token: await fixture.jwt({ exp: Math.floor(Date.now() / 1000) - 600 }) });
    expect(await exchange(socket, 'whoami')).toEqual({
      exception: { status: 401, error: 'invalid_token', error_description: 'The token has expired' },
    });
  });

  it('refuses a token in both the header and auth with invalid_request', async () => {
    const token = await fixture.jwt();
    const socket = await connect({ authorization: `Bearer ${token}`, token });
    expect(await exchange(socket, 'whoami')).toEqual({
      exception: { status: 400, error: 'invalid_request', error_description: 'The token must be sent in exactly one place' },
    });
  });

  it('emits the 403 body naming the role for a token without it', async () => {
    const socket = await connect({ token: await fixture.jwt(fixture.issuer.roleClaims(['orders.read'])) });
    const outcome = (await exchange(socket, 'admin')) as { exception: Record<string, unknown> };
    expect(outcome.exception).toMatchObject({ status: 403, error: 'insufficient_scope' });
    expect(outcome.exception.error_description).toContain('orders.admin');
    const admin = await connect({ token: await fixture.jwt(fixture.issuer.roleClaims(['orders.admin'])) });
    expect(await exchange(admin, 'admin')).toEqual({ ack: 'admin:200000000000000001' });
  });

  it('passes the message payload to organization selectors', async () => {
    const socket = await connect({ token: await fixture.jwt(fixture.issuer.roleClaims({ 'orders.write': ['300000000000000003'] })) });
    expect(await exchange(socket, 'org-orders', { orgId: '300000000000000003' })).toEqual({ ack: '300000000000000003:200000000000000001' });
    expect(await exchange(socket, 'org-orders', { orgId: '400000000000000004' })).toMatchObject({ exception: { status: 403 } });
  });

  it('answers a @Public() message without a token, and with a valid one gives the caller', async () => {
    expect(await exchange(await connect({ token: 'not-valid' }), 'open')).toEqual({ ack: 'anonymous' });
    expect(await exchange(await connect({ token: await fixture.jwt() }), 'open')).toEqual({ ack: '200000000000000001' });
  });

  it('emits 503 while the issuer is down', async () => {
    const socket = await connect({ token: fixture.opaque() });
    await fixture.issuer.goDown('refuse');
    try {
      expect(await exchange(socket, 'whoami')).toMatchObject({ exception: { status: 503, error: 'temporarily_unavailable' } });
    } finally {
      await fixture.issuer.comeBack();
    }
  });

  it('records one audit event per message, with the event as route template', async () => {
    const socket = await connect({ token: await fixture.jwt({ jti: 'ws-allow', ...fixture.issuer.roleClaims(['orders.admin']) }), requestId: 'ws-1' });
    await exchange(socket, 'admin');
    await exchange(await connect(), 'admin');
    const events = await fixture.takeEvents(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      decision: 'allow',
      tokenId: 'ws-allow',
      route: { method: 'WS', template: 'admin', path: '/' },
      requestId: 'ws-1',
      ip: expect.stringContaining('127.0.0.1'),
    });
    expect(events[1]).toMatchObject({ decision: 'deny', reason: 'ERR_TOKEN_MISSING', status: 401, route: { method: 'WS', template: 'admin' } });
  });

  it('never shows a token to a client, in a log line or in an audit event', () => {
    expectNoTokenLeak(fixture, fixture.events);
  });
});
