/**
 * One request sequence through Express 5, Express 4, Nest+Express, Nest+Fastify and Fastify
 * with this package's plugin: every
 * app kind emits the same audit events (decision, status, reason, subject, route template,
 * token kind) and the same auth-span attributes, because one pipeline decides and records
 * for all of them. (Express routes mount `protect()` on the route so that the template is
 * known; `app.use(protect(rs))` refuses before routing, where no template exists yet.)
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { Context, ContextManager, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express from 'express';
import express4 from 'express4';
import type { Request, Response } from 'express';
import Fastify from 'fastify';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import type { AuditEvent } from '../../lib/core/audit.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { loadTelemetry } from '../../lib/core/telemetry.js';
import { protect, requireRole, requireScope } from '../../lib/express/index.js';
import { Public, RequireRole, RequireScope, ResourceServerModule } from '../../lib/nest/index.js';
import { resourceServer, requireScope as fastifyRequireScope } from '../../lib/fastify/index.js';
import { send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

/** Every request runs inside a recording span, as with an instrumented HTTP server. */
const requestSpan = { isRecording: () => true, setAttributes() { return this; } } as unknown as Span;
class AlwaysInSpan implements ContextManager {
  active(): Context { return trace.setSpan(ROOT_CONTEXT, requestSpan); }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(_ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return fn.call(thisArg, ...args);
  }
  bind<T>(_ctx: Context, target: T): T { return target; }
  enable(): this { return this; }
  disable(): this { return this; }
}
const spans: Record<string, unknown>[] = [];

@Controller()
class ParityController {
  @Get('me') me() { return { ok: true }; }
  @Get('admin') @RequireRole('orders.admin') admin() { return { ok: true }; }
  @Get('orders') @RequireScope('orders:read') orders() { return { ok: true }; }
  @Get('status') @Public() status() { return { ok: true }; }
}

type Kind = 'express' | 'express4' | 'nest-express' | 'nest-fastify' | 'fastify';
const KINDS: readonly Kind[] = ['express', 'express4', 'nest-express', 'nest-fastify', 'fastify'];

async function start(kind: Kind, options: ResourceServerOptions): Promise<{ url: string; close: () => Promise<unknown> }> {
  if (kind === 'express' || kind === 'express4') {
    const rs = createResourceServer(options);
    const app = kind === 'express' ? express() : (express4 as unknown as typeof express)();
    const ok = (_req: Request, res: Response) => res.json({ ok: true });
    app.get('/me', protect(rs), ok);
    app.get('/admin', protect(rs), requireRole('orders.admin'), ok);
    app.get('/orders', protect(rs), requireScope('orders:read'), ok);
    app.get('/status', protect(rs, { optional: true }), ok);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
  }
  if (kind === 'fastify') {
    const app = Fastify();
    await app.register(resourceServer, { server: createResourceServer(options) });
    const ok = () => ({ ok: true });
    app.get('/me', ok);
    app.get('/admin', { config: { auth: { roles: ['orders.admin'] } } }, ok);
    app.get('/orders', { preHandler: fastifyRequireScope('orders:read') }, ok);
    app.get('/status', { config: { auth: { optional: true } } }, ok);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  }
  @Module({ imports: [ResourceServerModule.forRoot(options)], controllers: [ParityController] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, kind === 'nest-express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`, close: () => app.close() };
}

describe('audit and telemetry parity across adapters', () => {
  let issuer: TestIssuer;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    context.setGlobalContextManager(new AlwaysInSpan());
    const tracer = {
      startSpan() {
        const attributes: Record<string, unknown> = {};
        spans.push(attributes);
        return { setAttributes(a: Record<string, unknown>) { Object.assign(attributes, a); return this; }, setStatus() { return this; }, end() {} } as unknown as Span;
      },
    } as unknown as Tracer;
    trace.setGlobalTracerProvider({ getTracer: () => tracer } as unknown as TracerProvider);
    await loadTelemetry();
    issuer = await createTestIssuer({ keys: await testKeys() });
    tokens.plain = await issuer.mintJwt({ sub: 'caller-plain' });
    tokens.admin = await issuer.mintJwt({ sub: 'caller-admin', ...issuer.roleClaims(['orders.admin']) });
    tokens.expired = await issuer.mintJwt({ sub: 'caller-late' }, { expiresIn: -60 });
    tokens.opaque = issuer.mintOpaque({ sub: 'caller-opaque', scope: 'orders:read' });
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    await issuer.close();
  });

  // [path, authorization header values, expected event]
  const SEQUENCE: [string, string[], Partial<Record<'decision' | 'status' | 'reason' | 'subject' | 'template' | 'tokenKind', unknown>>][] = [
    ['/me', [], { decision: 'deny', status: 401, reason: 'ERR_TOKEN_MISSING', subject: undefined, template: '/me', tokenKind: undefined }],
    ['/me', ['plain'], { decision: 'allow', status: 200, subject: 'caller-plain', template: '/me', tokenKind: 'jwt' }],
    ['/me', ['plain'], { decision: 'allow', status: 200, subject: 'caller-plain', template: '/me', tokenKind: 'jwt' }],
    ['/admin', ['plain'], { decision: 'deny', status: 403, reason: 'ERR_ROLE_INSUFFICIENT', subject: 'caller-plain', template: '/admin', tokenKind: 'jwt' }],
    ['/admin', ['admin'], { decision: 'allow', status: 200, subject: 'caller-admin', template: '/admin', tokenKind: 'jwt' }],
    ['/me', ['expired'], { decision: 'deny', status: 401, reason: 'ERR_TOKEN_EXPIRED', subject: undefined, template: '/me', tokenKind: undefined }],
    ['/me', ['plain', 'plain'], { decision: 'deny', status: 400, reason: 'ERR_INVALID_REQUEST', template: '/me' }],
    ['/orders', ['opaque'], { decision: 'allow', status: 200, subject: 'caller-opaque', template: '/orders', tokenKind: 'opaque' }],
    ['/orders', ['admin'], { decision: 'deny', status: 403, reason: 'ERR_SCOPE_INSUFFICIENT', subject: 'caller-admin', template: '/orders' }],
    ['/status', [], { decision: 'allow', status: 200, subject: undefined, template: '/status' }],
    ['/status', ['expired'], { decision: 'allow', status: 200, subject: undefined, template: '/status' }],
    ['/status', ['admin'], { decision: 'allow', status: 200, subject: 'caller-admin', template: '/status', tokenKind: 'jwt' }],
  ];

  const seen: Record<string, { events: unknown[]; spans: unknown[] }> = {};

  it.each<Kind>(KINDS)('%s emits one event per request, as expected', async (kind) => {
    const events: AuditEvent[] = [];
    const app = await start(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      audit: (event) => events.push(event),
    });
    spans.length = 0;
    try {
      for (const [index, [path, names, expected]] of SEQUENCE.entries()) {
        const response = await send(`${app.url}${path}`, { headers: names.map((name) => ['authorization', `Bearer ${tokens[name]}`] as [string, string]) });
        expect(response.status).toBe(expected.status);
        // Express records an allow when the response closes: wait for it by the sink, not by time.
        for (let spin = 0; events.length <= index && spin < 200; spin += 1) await new Promise((resolve) => setImmediate(resolve));
        expect(events).toHaveLength(index + 1);
        const event = events[index]!;
        expect({ decision: event.decision, status: event.status, reason: event.reason, subject: event.subject, template: event.route.template, tokenKind: event.tokenKind }).toMatchObject(expected);
      }
      seen[kind] = {
        events: events.map((e) => [e.decision, e.status, e.reason, e.subject, e.route.template, e.route.path, e.tokenKind, e.verifiedBy, e.scopes, e.roles]),
        spans: spans.map((s) => ({ ...s })),
      };
      expect(spans).toHaveLength(SEQUENCE.length);
    } finally {
      await app.close();
    }
  });

  it.each<Kind>(KINDS)('%s records a span per decision without any audit sink', async (kind) => {
    const app = await start(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      audit: false,
    });
    spans.length = 0;
    try {
      for (const [index, [path, names, expected]] of SEQUENCE.entries()) {
        const response = await send(`${app.url}${path}`, { headers: names.map((name) => ['authorization', `Bearer ${tokens[name]}`] as [string, string]) });
        expect(response.status).toBe(expected.status);
        for (let spin = 0; spans.length <= index && spin < 200; spin += 1) await new Promise((resolve) => setImmediate(resolve));
        expect(spans[index]).toMatchObject({ 'http.response.status_code': expected.status, 'zitadel_resource_server.decision': expected.decision });
      }
      expect(spans).toHaveLength(SEQUENCE.length);
    } finally {
      await app.close();
    }
  });

  it('all app kinds recorded identical events and span attributes', () => {
    expect(Object.keys(seen)).toHaveLength(KINDS.length);
    for (const kind of KINDS.slice(1)) {
      expect(seen[kind]!.events).toEqual(seen.express!.events);
      expect(seen[kind]!.spans).toEqual(seen.express!.spans);
    }
  });
});
