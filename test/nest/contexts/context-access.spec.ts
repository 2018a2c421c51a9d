import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { WsException } from '@nestjs/websockets';
import * as grpc from '@grpc/grpc-js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { ResourceServer } from '../../../lib/core/resource-server.js';
import { Public, RequireRole, ResourceServerGuard } from '../../../lib/nest/index.js';
import { principalOf } from '../../../lib/nest/resource-server.request.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { LogCapture } from '../../support/log-capture.js';
import { testKeys } from '../../support/test-keys.js';

class Handlers {
  any(): void {}
  @Public() open(): void {}
  @RequireRole('orders.admin') admin(): void {}
}

/** An execution context as Nest builds it for a call of `Handlers[method]`. */
function contextOf(type: string, args: unknown[], method: keyof Handlers = 'any'): ExecutionContext {
  const handler = Handlers.prototype[method];
  const host = { getArgs: () => args, getArgByIndex: (i: number) => args[i] };
  return {
    ...host,
    getType: () => type,
    getHandler: () => handler,
    getClass: () => Handlers,
    switchToHttp: () => ({ getRequest: () => args[0], getResponse: () => args[1], getNext: () => args[2] }),
    switchToRpc: () => ({ getData: () => args[0], getContext: () => args[1] }),
    switchToWs: () => ({ getClient: () => args[0], getData: () => args[1], getPattern: () => args[2] }),
  } as unknown as ExecutionContext;
}

async function outcome(promise: boolean | Promise<boolean>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return error;
  }
}

describe('ResourceServerGuard context access', () => {
  let issuer: TestIssuer;
  let server: ResourceServer;
  let guard: ResourceServerGuard;
  let token = '';
  const logs = new LogCapture();

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    server = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', logger: logs });
    guard = new ResourceServerGuard(server);
    token = await issuer.mintJwt();
    Logger.overrideLogger(logs);
  });
  afterAll(async () => {
    Logger.overrideLogger(false);
    await issuer.close();
  });

  it('refuses two authorization values in gRPC metadata with INVALID_ARGUMENT', async () => {
    const metadata = new grpc.Metadata();
    metadata.add('authorization', `Bearer ${token}`);
    metadata.add('authorization', `Bearer ${token}`);
    const error = await outcome(activate(guard, contextOf('rpc', [{}, metadata, {}])));
    expect(error).toBeInstanceOf(RpcException);
    const body = (error as RpcException).getError() as Record<string, unknown>;
    expect(body).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: 'Only one Authorization header is allowed' });
    expect((body.metadata as grpc.Metadata).get('www-authenticate')).toEqual([
      'Bearer realm="api", error="invalid_request", error_description="Only one Authorization header is allowed"',
    ]);
  });

  it('never reads a gRPC payload for a token', async () => {
    const error = await outcome(activate(guard, contextOf('rpc', [{ authorization: `Bearer ${token}` }, new grpc.Metadata(), {}])));
    expect((error as RpcException).getError()).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });

  it('reads NATS-style headers (get / values) and keeps the principal per message context', async () => {
    const values = new Map([['authorization', [`Bearer ${token}`]]]);
    const natsContext = {
      getSubject: () => 'orders.list',
      getHeaders: () => ({ get: (k: string) => values.get(k)?.[0] ?? '', values: (k: string) => values.get(k) ?? [], has: (k: string) => values.has(k) }),
    };
    const context = contextOf('rpc', [{}, natsContext]);
    await expect(activate(guard, context)).resolves.toBe(true);
    expect(principalOf(context)?.subject).toBe('200000000000000001');
    expect(principalOf(contextOf('rpc', [{}, { getSubject: () => 'other' }]))).toBeUndefined();
  });

  it('reads the `ws` adapter upgrade request and refuses two Authorization headers on it', async () => {
    const allowed = contextOf('ws', [{ upgradeReq: { headers: { authorization: `Bearer ${token}` }, url: '/' } }, {}, 'whoami']);
    await expect(activate(guard, allowed)).resolves.toBe(true);
    const twice = { request: { headers: { authorization: `Bearer ${token}` }, headersDistinct: { authorization: [`Bearer ${token}`, `Bearer ${token}`] }, url: '/' } };
    const error = await outcome(activate(guard, contextOf('ws', [twice, {}, 'whoami'])));
    expect(error).toBeInstanceOf(WsException);
    expect((error as WsException).getError()).toEqual({ status: 400, error: 'invalid_request', error_description: 'Only one Authorization header is allowed' });
  });

  it('forgets a connection\'s principal when a later public message has no valid token', async () => {
    const client: { handshake: { headers: Record<string, string>; auth: Record<string, string> } } = { handshake: { headers: {}, auth: { token } } };
    await activate(guard, contextOf('ws', [client, {}, 'whoami']));
    expect(principalOf(contextOf('ws', [client, {}, 'x']))?.subject).toBe('200000000000000001');
    client.handshake.auth.token = 'expired-or-garbage';
    await expect(activate(guard, contextOf('ws', [client, {}, 'open'], 'open'))).resolves.toBe(true);
    expect(principalOf(contextOf('ws', [client, {}, 'x']))).toBeUndefined();
  });

  it('reads a GraphQL context without an HTTP request as carrying no token', async () => {
    const error = await outcome(activate(guard, contextOf('graphql', [undefined, {}, {}, { fieldName: 'me', parentType: { name: 'Query' } }])));
    expect(error).toMatchObject({ status: 401, message: 'A bearer token is required' });
  });

  it('reads the mercurius shape (reply.request) and sets headers on the reply', async () => {
    const headers: Record<string, string> = {};
    const reply = { request: { headers: {}, raw: { headers: {}, method: 'POST', url: '/graphql' } }, header: (n: string, v: string) => (headers[n] = v) };
    const error = await outcome(activate(guard, contextOf('graphql', [undefined, {}, { reply }, { fieldName: 'me', parentType: { name: 'Query' } }], 'admin')));
    expect(error).toMatchObject({ status: 401 });
    expect(headers['www-authenticate']).toBe('Bearer realm="api"');
    const allowed = { request: { headers: {}, raw: { headers: { authorization: `Bearer ${token}` }, method: 'POST', url: '/graphql' } }, header: () => undefined };
    const context = contextOf('graphql', [undefined, {}, { reply: allowed }, { fieldName: 'me', parentType: { name: 'Query' } }]);
    await expect(activate(guard, context)).resolves.toBe(true);
    expect(principalOf(context)?.subject).toBe('200000000000000001');
  });

  it('denies unknown context types, with one log line per type', async () => {
    logs.lines.length = 0;
    await expect(activate(guard, contextOf('kafka-custom', [{ authorization: `Bearer ${token}` }]))).resolves.toBe(false);
    await expect(activate(guard, contextOf('kafka-custom', [{}]))).resolves.toBe(false);
    await expect(activate(guard, contextOf('other', [{}]))).resolves.toBe(false);
    expect(logs.lines.filter((l) => l.includes('Denied'))).toHaveLength(2);
    expect(principalOf(contextOf('kafka-custom', [{}]))).toBeUndefined();
    expect(logs.text()).not.toContain(token);
  });
});

/** The guard's answer as a promise: it decides synchronously when nothing needs I/O (and may throw then). */
async function activate(guard: ResourceServerGuard, context: ExecutionContext): Promise<boolean> {
  return guard.canActivate(context);
}
