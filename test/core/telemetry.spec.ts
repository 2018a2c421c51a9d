import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { Context, ContextManager, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { createTestIssuer } from '../../lib/testing/index.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { loadTelemetry, recordTelemetry } from '../../lib/core/telemetry.js';
import { auditEvent } from '../../lib/core/audit.js';
import { toPrincipal } from '../../lib/core/principal.js';
import { testKeys } from '../support/test-keys.js';

interface Recorded {
  name: string;
  attributes: Record<string, unknown>;
  status?: { code: number };
  ended: boolean;
}

/** A minimal AsyncLocalStorage context manager (what @opentelemetry/context-async-hooks provides). */
class TestContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active(): Context { return this.#storage.getStore() ?? ROOT_CONTEXT; }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T { return target; }
  enable(): this { return this; }
  disable(): this { return this; }
}

describe('OpenTelemetry', () => {
  const spans: Recorded[] = [];
  const requestSpan: Recorded = { name: 'GET /orders', attributes: {}, ended: false };
  const activeSpan = {
    isRecording: () => true,
    setAttributes(attributes: Record<string, unknown>) { Object.assign(requestSpan.attributes, attributes); return this; },
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
  } as unknown as Span;
  beforeAll(async () => {
    context.setGlobalContextManager(new TestContextManager());
    const tracer = {
      startSpan(name: string) {
        const span: Recorded = { name, attributes: {}, ended: false };
        spans.push(span);
        return {
          isRecording: () => true,
          setAttributes(attributes: Record<string, unknown>) { Object.assign(span.attributes, attributes); return this; },
          setStatus(status: { code: number }) { span.status = status; return this; },
          end() { span.ended = true; },
        } as unknown as Span;
      },
    } as unknown as Tracer;
    trace.setGlobalTracerProvider({ getTracer: () => tracer } as TracerProvider);
    await loadTelemetry();
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('records an auth span with the decision and end-user attributes, never the token', async () => {
    const issuer = await createTestIssuer({ keys: await testKeys() });
    try {
      const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' });
      const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
      const request = { route: { method: 'GET', template: '/orders', path: '/orders' }, requestId: 'r1', ip: '127.0.0.1', startedAt: performance.now() };
      const decision = { http: { headers: { authorization: `Bearer ${token}` } }, describe: () => request };
      // Outside a recording request span nothing is recorded (no SDK, no instrumentation), with no audit sink either.
      expect((await rs.decide(decision)).outcome).toBe('allow');
      expect(spans).toHaveLength(0);
      // The issuer's keys cannot be fetched: 503, recorded as "unavailable".
      const down = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', jwksUri: `${issuer.issuer}/keys`, fetch: () => Promise.reject(new Error('down')), logger: { warn() {}, error() {} } });
      await context.with(trace.setSpan(context.active(), activeSpan), async () => {
        expect((await rs.decide(decision)).outcome).toBe('allow');
        const refused = await down.decide(decision);
        expect(refused.outcome === 'refuse' && refused.response.status).toBe(503);
      });
      expect(spans).toHaveLength(2);
      expect(requestSpan.attributes).toEqual({ 'enduser.id': '200000000000000001', 'user.roles': ['orders.read'] });
      expect(spans[0]).toMatchObject({
        name: 'zitadel-resource-server auth',
        ended: true,
        attributes: {
          'enduser.id': '200000000000000001',
          'user.roles': ['orders.read'],
          'zitadel_resource_server.decision': 'allow',
          'zitadel_resource_server.verified_by': 'jwks',
          'http.response.status_code': 200,
        },
      });
      expect(spans[1]).toMatchObject({ attributes: { 'zitadel_resource_server.decision': 'unavailable' }, status: { code: 2 } });
      expect(JSON.stringify(spans)).not.toContain(token);
    } finally {
      await issuer.close();
    }
  });

  it('records the actor of an impersonated token on the auth span, and nothing of the sort otherwise', () => {
    const facts = { verifiedBy: 'introspection' as const, tokenKind: 'opaque' as const, shortHash: 'sha256:abc' };
    const options = { preset: 'zitadel' as const, projectId: undefined, rolesClaim: undefined, issuer: 'https://acme.zitadel.cloud' };
    const impersonated = toPrincipal({ sub: 'user-1', act: { iss: 'https://acme.zitadel.cloud', sub: 'admin-7' } }, facts, options);
    const plain = toPrincipal({ sub: 'user-2' }, facts, options);
    const request = { route: { method: 'GET', template: '/orders', path: '/orders' }, requestId: 'r2', ip: undefined, startedAt: performance.now() };
    spans.length = 0;
    context.with(trace.setSpan(context.active(), activeSpan), () => {
      for (const principal of [impersonated, plain]) recordTelemetry(auditEvent(request, { principal }, Date.now), performance.timeOrigin + request.startedAt);
    });
    expect(spans[0]!.attributes).toMatchObject({
      'enduser.id': 'user-1',
      'zitadel_resource_server.actor.id': 'admin-7',
      'zitadel_resource_server.actor.issuer': 'https://acme.zitadel.cloud',
    });
    expect(Object.keys(spans[1]!.attributes).filter((name) => name.includes('actor'))).toEqual([]);
  });
});
