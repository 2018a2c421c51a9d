/**
 * Issue 17: metrics through the OpenTelemetry metrics API, read with the SDK's in-memory
 * exporter. Without a MeterProvider nothing is recorded at all. Injected fetch and clock.
 */
import { jest } from '@jest/globals';
import { metrics } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter, MeterProvider } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider as SdkMeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram as HistogramPoint } from '@opentelemetry/sdk-metrics';
import { ResourceServerMetrics } from '../../../lib/core/operations/metrics.js';
import { createRoute } from '../../../lib/core/pipeline/route.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { loadTelemetry } from '../../../lib/core/telemetry.js';
import { API_CLIENT_ID, ISSUER, PROJECT, activeAnswer, clock, createFakeIssuer, silent } from '../support/fake-issuer.js';
import { zitadelOpaqueToken } from '../support/zitadel-tokens.js';

const NS = 'zitadel_resource_server';

describe('metrics', () => {
  beforeAll(async () => {
    await loadTelemetry();
  });
  afterEach(() => {
    metrics.disable();
  });

  it('records nothing, and builds no instrument, without a registered MeterProvider', () => {
    const getMeter = jest.spyOn(metrics, 'getMeter');
    expect(new ResourceServerMetrics().active).toBe(false);
    expect(getMeter).toHaveBeenCalledTimes(1);
    getMeter.mockRestore();
  });

  it('counts decisions, verification sources, cache lookups, upstream calls and errors, JWKS fetches and shed calls', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new SdkMeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      const time = clock();
      const issuer = await createFakeIssuer({ now: time.now });
      const rs = createResourceServer({
        issuer: ISSUER,
        audience: PROJECT,
        logger: silent,
        fetch: issuer.fetch,
        now: time.now,
        introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'secret' } },
      });
      const jwt = await issuer.mintJwt();
      await rs.authenticate(`Bearer ${jwt}`);
      await rs.authenticate(`Bearer ${jwt}`);
      await expect(rs.authenticate(`Bearer ${await issuer.mintJwt({ exp: Math.floor(time.now() / 1000) - 60 })}`)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
      // An unknown kid after the cooldown: one refresh.
      time.advance(5000);
      await expect(rs.authenticate(`Bearer ${await issuer.mintJwt({}, { kid: 'rotated' })}`)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
      await expect(rs.authenticate(undefined)).rejects.toMatchObject({ code: 'ERR_TOKEN_MISSING' });
      expect((await rs.decide({ http: { headers: {} } }, createRoute({ optional: true }))).outcome).toBe('anonymous');

      const opaque = zitadelOpaqueToken();
      issuer.introspection = () => ({ body: activeAnswer(time.now()) });
      await rs.authenticate(`Bearer ${opaque}`);
      await rs.authenticate(`Bearer ${opaque}`);
      issuer.introspection = () => ({ status: 500 });
      await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
      issuer.introspection = () => ({ status: 401, body: { error: 'invalid_client' } });
      await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
      // Paused after the refusal: shed without a call.
      await expect(rs.authenticate(`Bearer ${zitadelOpaqueToken()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });

      await reader.forceFlush();
      const exported = exporter.getMetrics().at(-1)!;
      const all = exported.scopeMetrics.filter((scope) => scope.scope.name === 'zitadel-resource-server').flatMap((scope) => scope.metrics);
      const sums = (name: string) =>
        Object.fromEntries(
          all
            .find((m) => m.descriptor.name === name)!
            .dataPoints.map((point: DataPoint<unknown>) => [JSON.stringify(point.attributes), point.value as number]),
        );

      expect(sums(`${NS}.decisions`)).toEqual({
        [JSON.stringify({ [`${NS}.decision`]: 'allow' })]: 4,
        [JSON.stringify({ [`${NS}.decision`]: 'deny', [`${NS}.reason`]: 'ERR_TOKEN_EXPIRED' })]: 1,
        [JSON.stringify({ [`${NS}.decision`]: 'deny', [`${NS}.reason`]: 'ERR_KEY_NOT_FOUND' })]: 1,
        [JSON.stringify({ [`${NS}.decision`]: 'deny', [`${NS}.reason`]: 'ERR_TOKEN_MISSING' })]: 1,
        [JSON.stringify({ [`${NS}.decision`]: 'anonymous' })]: 1,
        [JSON.stringify({ [`${NS}.decision`]: 'unavailable', [`${NS}.reason`]: 'ERR_ISSUER_UNAVAILABLE' })]: 3,
      });
      expect(sums(`${NS}.token.verifications`)).toEqual({
        [JSON.stringify({ [`${NS}.verification.source`]: 'jwks', [`${NS}.token_kind`]: 'jwt' })]: 3,
        [JSON.stringify({ [`${NS}.verification.source`]: 'cached', [`${NS}.token_kind`]: 'jwt' })]: 1,
        [JSON.stringify({ [`${NS}.verification.source`]: 'introspection', [`${NS}.token_kind`]: 'opaque' })]: 3,
        [JSON.stringify({ [`${NS}.verification.source`]: 'cached', [`${NS}.token_kind`]: 'opaque' })]: 1,
      });
      expect(sums(`${NS}.cache.lookups`)).toEqual({
        [JSON.stringify({ [`${NS}.cache.name`]: 'jwt', [`${NS}.cache.result`]: 'miss' })]: 3,
        [JSON.stringify({ [`${NS}.cache.name`]: 'jwt', [`${NS}.cache.result`]: 'hit' })]: 1,
        [JSON.stringify({ [`${NS}.cache.name`]: 'introspection', [`${NS}.cache.result`]: 'miss' })]: 4,
        [JSON.stringify({ [`${NS}.cache.name`]: 'introspection', [`${NS}.cache.result`]: 'hit' })]: 1,
      });
      expect(sums(`${NS}.jwks.refreshes`)).toEqual({
        [JSON.stringify({ 'server.address': 'acme.zitadel.cloud', [`${NS}.jwks.refresh.reason`]: 'initial', [`${NS}.outcome`]: 'success' })]: 1,
        [JSON.stringify({ 'server.address': 'acme.zitadel.cloud', [`${NS}.jwks.refresh.reason`]: 'unknown_kid', [`${NS}.outcome`]: 'success' })]: 1,
      });
      expect(sums(`${NS}.upstream.errors`)).toEqual({
        [JSON.stringify({ [`${NS}.upstream.kind`]: 'introspection', 'error.type': 'ERR_UPSTREAM_STATUS', 'server.address': 'acme.zitadel.cloud' })]: 1,
        [JSON.stringify({ [`${NS}.upstream.kind`]: 'introspection', 'error.type': 'ERR_UPSTREAM_CLIENT_REFUSED', 'server.address': 'acme.zitadel.cloud' })]: 1,
      });
      expect(sums(`${NS}.introspection.shed`)).toEqual({ [JSON.stringify({ [`${NS}.shed.reason`]: 'backoff' })]: 1 });

      const duration = all.find((m) => m.descriptor.name === 'http.client.request.duration')!;
      expect(duration.descriptor.unit).toBe('s');
      const calls = Object.fromEntries(duration.dataPoints.map((point) => [JSON.stringify(point.attributes), (point.value as HistogramPoint).count]));
      const call = (kind: string, method: string, status: number, errorType?: string) =>
        JSON.stringify({
          'http.request.method': method,
          'server.address': 'acme.zitadel.cloud',
          'server.port': 443,
          [`${NS}.upstream.kind`]: kind,
          'http.response.status_code': status,
          ...(errorType === undefined ? {} : { 'error.type': errorType }),
        });
      expect(calls).toEqual({
        [call('discovery', 'GET', 200)]: 1,
        [call('jwks', 'GET', 200)]: 2,
        [call('introspection', 'POST', 200)]: 1,
        [call('introspection', 'POST', 500, '500')]: 1,
        [call('introspection', 'POST', 401, '401')]: 1,
      });
    } finally {
      await provider.shutdown();
    }
  });

  it('reuses one attribute object per (outcome, reason): no allocation per decision beyond it', async () => {
    const added: { name: string; attributes: Attributes | undefined }[] = [];
    const counter = (name: string): Counter => ({ add: (_value: number, attributes?: Attributes) => added.push({ name, attributes }) }) as Counter;
    const meter = { createCounter: counter, createHistogram: () => ({ record: () => undefined }) as unknown as Histogram } as unknown as Meter;
    metrics.setGlobalMeterProvider({ getMeter: () => meter } as MeterProvider);
    const time = clock();
    const issuer = await createFakeIssuer({ now: time.now });
    const rs = createResourceServer({ issuer: ISSUER, audience: PROJECT, logger: silent, fetch: issuer.fetch, now: time.now });
    const jwt = await issuer.mintJwt();
    for (let i = 0; i < 3; i += 1) await rs.authenticate(`Bearer ${jwt}`);
    for (let i = 0; i < 2; i += 1) await expect(rs.authenticate('Bearer a.b')).rejects.toMatchObject({ code: 'ERR_TOKEN_UNSUPPORTED' });
    const decisions = added.filter((entry) => entry.name === `${NS}.decisions`).map((entry) => entry.attributes);
    expect(decisions).toHaveLength(5);
    expect(decisions[1]).toBe(decisions[0]);
    expect(decisions[2]).toBe(decisions[0]);
    expect(decisions[4]).toBe(decisions[3]);
    expect(Object.isFrozen(decisions[0])).toBe(true);
    const cached = added.filter((entry) => entry.name === `${NS}.token.verifications`).map((entry) => entry.attributes);
    expect(cached[2]).toBe(cached[1]);
  });
});
