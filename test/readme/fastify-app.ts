import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createResourceServer } from 'zitadel-resource-server';
import type { ResourceServer } from 'zitadel-resource-server';
import { requireActiveToken, requireRole, resourceServer } from 'zitadel-resource-server/fastify';

/** The orders API: in the plugin's scope every route needs a valid token unless its config says otherwise. */
export async function buildApp(rs: ResourceServer): Promise<FastifyInstance> {
  const app = Fastify({ logger: true });
  await app.register(resourceServer, { server: rs }); // 401/400/503 without a valid token
  app.get('/health', { config: { auth: { public: true } } }, async () => ({ ok: true }));
  app.get('/status', { config: { auth: { optional: true } } }, async (request) => ({ caller: request.auth?.subject ?? null }));
  app.get('/orders', { config: { auth: { roles: ['orders.read'] } } }, async (request) => ({ orders: [], caller: request.auth!.subject }));
  app.post('/orgs/:orgId/orders', {
    config: { auth: { roles: ['orders.write'], roleOrg: (request) => (request.params as { orgId: string }).orgId } },
  }, async (_request, reply) => reply.code(201).send({ created: true }));
  app.delete('/orders/:id', { preHandler: [requireActiveToken(), requireRole('orders.admin')] }, async (_request, reply) => reply.code(204).send());
  return app;
}

/** Runs it against your ZITADEL instance: the project id, and the API application's key file for introspection. */
export async function start(): Promise<FastifyInstance> {
  const projectId = process.env.ZITADEL_PROJECT_ID ?? '';
  const app = await buildApp(createResourceServer({
    issuer: process.env.ZITADEL_ISSUER ?? 'https://acme.zitadel.cloud',
    audience: projectId,
    projectId,
    introspection: { auth: { type: 'private_key_jwt', keyFile: './api-app-key.json' } }, // opaque tokens, requireActiveToken()
  }));
  await app.listen({ port: 3000 });
  return app;
}
