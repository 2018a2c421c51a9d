// Fastify 5 + zitadel-resource-server: the resourceServer plugin given the options (then,
// as Express' protect(options), it audits to stdout as JSON lines) + config.auth roles
// ['orders.read']. `fastify-zrs-noaudit` runs this file with `audit: false`.
import Fastify from 'fastify';
import { auditOption, config, ORDERS, ready, ROLE, zrs } from './common.mjs';
const { resourceServer } = await zrs('fastify');

const app = Fastify();
await app.register(resourceServer, {
  issuer: config.issuer,
  audience: config.audience,
  projectId: config.projectId,
  introspection: { auth: { type: 'client_secret_basic', ...config.introspectionClient } },
  ...auditOption,
});
app.get('/orders', { config: { auth: { roles: [ROLE] } } }, async () => ORDERS);
await app.listen({ port: 0, host: '127.0.0.1' });
ready(app.server.address().port, () => app.close());
