/**
 * Issue 17 in Nest: `prefetch` warms up at module init (the app boots with the issuer down
 * and says so; `throwOnError` stops it), `@AuditAllowed(false)` drops a route's allow events,
 * and `ResourceServerHealthIndicator` works with @nestjs/terminus. Injected fetch.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import type { AuditEvent } from '../../lib/core/audit.js';
import type { FetchLike } from '../../lib/core/http.js';
import { AuditAllowed, Public, ResourceServerHealthIndicator, ResourceServerModule } from '../../lib/nest/index.js';
import type { ResourceServerModuleOptions } from '../../lib/nest/index.js';
import { ISSUER, PROJECT, createFakeIssuer } from '../core/support/fake-issuer.js';
import type { FakeIssuer } from '../core/support/fake-issuer.js';
import { LogCapture } from '../support/log-capture.js';

@Controller()
class ProbeController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly auth: ResourceServerHealthIndicator,
  ) {}

  @Get('ready') @Public() @AuditAllowed(false) @HealthCheck()
  ready() {
    return this.health.check([() => this.auth.isHealthy('zitadel')]);
  }

  @Get('me') @AuditAllowed(false)
  me() {
    return 'me';
  }

  @Get('orders')
  orders() {
    return 'orders';
  }
}

/** Refuses every call, the way a stopped issuer does. */
const down: FetchLike = () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));

describe('Nest: prefetch, @AuditAllowed, terminus health indicator', () => {
  let issuer: FakeIssuer;
  let reachable: boolean;
  const events: AuditEvent[] = [];
  beforeAll(async () => {
    issuer = await createFakeIssuer();
  });
  beforeEach(() => {
    reachable = true;
    events.length = 0;
  });

  async function boot(options: Partial<ResourceServerModuleOptions>, logs = new LogCapture()): Promise<INestApplication> {
    const fetch: FetchLike = (url, init) => (reachable ? issuer.fetch(url, init) : down(url, init));
    @Module({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        ResourceServerModule.forRoot({ issuer: ISSUER, audience: PROJECT, fetch, audit: (event) => events.push(event), ...options }),
      ],
      controllers: [ProbeController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: logs, abortOnError: false });
    await app.init();
    return app;
  }

  it('prefetch: true fetches discovery and JWKS at startup, before any request', async () => {
    const before = { ...issuer.calls };
    const app = await boot({ prefetch: true });
    try {
      expect(issuer.calls.discovery - before.discovery).toBe(1);
      expect(issuer.calls.jwks - before.jwks).toBe(1);
      const token = await issuer.mintJwt();
      expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      expect(issuer.calls.jwks - before.jwks).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('prefetch with the issuer down: the app boots and logs the cause; requests get 503 until it is back', async () => {
    reachable = false;
    const logs = new LogCapture();
    const app = await boot({ prefetch: true }, logs);
    try {
      const text = logs.text();
      expect(text).toContain(`The discovery document of ${ISSUER} cannot be read (${ISSUER}/.well-known/openid-configuration): cannot connect: request failed (connection refused, ECONNREFUSED)`);
      expect(text).toContain(`Warm-up incomplete, the resource server is not ready: ${ISSUER}: the JWKS is not loaded`);
      const token = await issuer.mintJwt();
      const refused = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(text).not.toContain(token);
    } finally {
      await app.close();
    }
  });

  it('prefetch: { throwOnError: true } with the issuer down stops the app at startup', async () => {
    reachable = false;
    await expect(boot({ prefetch: { throwOnError: true } })).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' });
  });

  it('refuses a malformed prefetch option at startup', async () => {
    await expect(boot({ prefetch: 'yes' as never })).rejects.toThrow('"prefetch" option must be true, false or { throwOnError: boolean }');
  });

  it('the terminus indicator: down (503) while the issuer is unreachable, up once the keys load; the probe itself warms up', async () => {
    reachable = false;
    const app = await boot({ jwks: { cooldown: 0 } });
    try {
      const notReady = await request(app.getHttpServer()).get('/ready');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        status: 'error',
        error: { zitadel: { status: 'down', issuers: [{ issuer: ISSUER, ready: false, jwks: { loaded: false } }] } },
      });
      expect(notReady.body.error.zitadel.issuers[0].problems[0]).toContain('the JWKS is not loaded');

      reachable = true;
      const ready = await request(app.getHttpServer()).get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { zitadel: { status: 'up', issuers: [{ issuer: ISSUER, ready: true, jwks: { loaded: true, fresh: true } }] } } });
    } finally {
      await app.close();
    }
  });

  it('@AuditAllowed(false): no allow event for the route (public probe, protected route), its refusals still audited', async () => {
    const app = await boot({});
    try {
      const token = await issuer.mintJwt();
      const server = app.getHttpServer();
      expect((await request(server).get('/ready')).status).toBe(200);
      expect((await request(server).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      expect((await request(server).get('/me')).status).toBe(401);
      expect((await request(server).get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      expect(events.map((e) => [e.route.path, e.decision, e.reason])).toEqual([
        ['/me', 'deny', 'ERR_TOKEN_MISSING'],
        ['/orders', 'allow', undefined],
      ]);
    } finally {
      await app.close();
    }
  });
});
