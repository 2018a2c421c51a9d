/** The test routes of support/apps.ts with this package's Fastify plugin, loaded only by suites that start it. */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyRequest } from 'fastify';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import * as plugin from '../../lib/fastify/index.js';
import { summary } from './core-app.js';
import type { RunningApp } from './apps.js';

/** The same routes with the Fastify plugin: some by route config, some by preHandlers, some by both. */
export async function fastifyApp(options: ResourceServerOptions): Promise<RunningApp> {
  const app = Fastify();
  await app.register(plugin.resourceServer, { server: createResourceServer(options) });
  const json = (request: FastifyRequest) => summary(request.auth);
  const orgId = (request: FastifyRequest) => (request.params as { orgId: string }).orgId;
  app.get('/public', { config: { auth: { optional: true } } }, json);
  app.get('/me', json);
  app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, json);
  app.get('/either', { preHandler: plugin.requireAnyScope('a', 'b') }, json);
  app.get('/admin', { config: { auth: { roles: ['orders.admin'] } } }, json);
  app.post('/orgs/:orgId/orders', { preHandler: plugin.requireRole('orders.write', { org: orgId }) }, async (request, reply) =>
    reply.code(201).send({ orgId: orgId(request), ...summary(request.auth) }),
  );
  app.get('/mine', { config: { auth: { roles: ['orders.read'], roleOrg: 'own' } } }, json);
  app.get('/active', { preHandler: [plugin.requireActiveToken(), plugin.requireRole('orders.read')] }, json);
  await app.register(async (reports) => {
    reports.addHook('preHandler', plugin.requireScope('reports:read'));
    reports.get('/', json);
    reports.get('/export', { config: { auth: { roles: ['reports.export'] } } }, json);
  }, { prefix: '/reports' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}
