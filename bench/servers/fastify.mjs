// Unguarded Fastify 5 app: the baseline for every Fastify row.
import Fastify from 'fastify';
import { ORDERS, ready } from './common.mjs';

const app = Fastify();
app.get('/orders', async () => ORDERS);
await app.listen({ port: 0, host: '127.0.0.1' });
ready(app.server.address().port, () => app.close());
