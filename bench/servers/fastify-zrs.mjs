// Fastify 5 + zitadel-resource-server: the resourceServer plugin + config.auth roles ['orders.read'].
import Fastify from 'fastify';
import { config, ORDERS, ready, ROLE, zrs } from './common.mjs';
const { resourceServer } = await zrs('fastify');
const { createResourceServer } = await zrs();

const rs = createResourceServer({
  issuer: config.issuer,
  audience: config.audience,
  projectId: config.projectId,
  introspection: { auth: { type: 'client_secret_basic', ...config.introspectionClient } },
});
const app = Fastify();
await app.register(resourceServer, { server: rs });
app.get('/orders', { config: { auth: { roles: [ROLE] } } }, async () => ORDERS);
await app.listen({ port: 0, host: '127.0.0.1' });
ready(app.server.address().port, () => app.close());
