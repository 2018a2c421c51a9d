import { trace } from '@opentelemetry/api';
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { createTestIssuer } from '../../lib/testing/index.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { loadTelemetry } from '../../lib/core/telemetry.js';

interface Recorded {
  name: string;
  attributes: Record<string, unknown>;
  status?: { code: number };
  ended: boolean;
}

describe('OpenTelemetry', () => {
  const spans: Recorded[] = [];
  beforeAll(async () => {
    const tracer = {
      startSpan(name: string) {
        const span: Recorded = { name, attributes: {}, ended: false };
        spans.push(span);
        return {
          setAttributes(attributes: Record<string, unknown>) { Object.assign(span.attributes, attributes); return this; },
          setStatus(status: { code: number }) { span.status = status; return this; },
          end() { span.ended = true; },
        } as unknown as Span;
      },
    } as unknown as Tracer;
    trace.setGlobalTracerProvider({ getTracer: () => tracer } as TracerProvider);
    await loadTelemetry();
  });
  afterAll(() => trace.disable());

  it('records an auth span with the decision and end-user attributes, never the token', async () => {
    const issuer = await createTestIssuer();
    try {
      const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' });
      const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
      const principal = await rs.verifyToken(token);
      const request = { route: { method: 'GET', template: '/orders', path: '/orders' }, requestId: 'r1', ip: '127.0.0.1', startedAt: performance.now() };
      rs.record(request, { principal });
      rs.record(request, { error: new (await import('../../lib/core/errors.js')).IssuerUnavailableError('down') });
      expect(spans).toHaveLength(2);
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
});
