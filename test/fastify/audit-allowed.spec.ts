/**
 * Issue 17 on Fastify: `config: { auth: { auditAllowed: false } }` drops a route's allow
 * events, never its refusals. Real HTTP on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { AuditEvent } from '../../lib/core/audit.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { resourceServer } from '../../lib/fastify/index.js';
import { RouteConfigs } from '../../lib/fastify/route-config.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import { send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

describe('Fastify: config.auth.auditAllowed', () => {
  it('no allow event for the route, its refusals still audited; other routes unchanged', async () => {
    const issuer = await createTestIssuer({ keys: await testKeys() });
    const events: AuditEvent[] = [];
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', audit: (event) => events.push(event) });
    const app = Fastify();
    try {
      await app.register(resourceServer, { server: rs });
      app.get('/probe', { config: { auth: { optional: true, auditAllowed: false } } }, async () => ({ ok: true }));
      app.get('/me', { config: { auth: { auditAllowed: false } } }, async () => ({ ok: true }));
      app.get('/orders', async () => ({ ok: true }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const token = await issuer.mintJwt();
      const bearer: [string, string][] = [['authorization', `Bearer ${token}`]];
      expect((await send(`${base}/probe`, { headers: [] })).status).toBe(200);
      expect((await send(`${base}/me`, { headers: bearer })).status).toBe(200);
      expect((await send(`${base}/me`, { headers: [] })).status).toBe(401);
      expect((await send(`${base}/orders`, { headers: bearer })).status).toBe(200);
      // Allow events are recorded when the response closes: a bounded number of turns.
      for (let turn = 0; turn < 1000 && events.length < 2; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(events.map((e) => [e.route.path, e.decision])).toEqual([
        ['/me', 'deny'],
        ['/orders', 'allow'],
      ]);
      expect(() => new RouteConfigs().routeOf({ auditAllowed: 'no' })).toThrow('route option "config.auth.auditAllowed" must be a boolean');
    } finally {
      await app.close();
      await issuer.close();
    }
  });
});
