// Express 5 + zitadel-resource-server: protect(rs) + requireRole('orders.read').
import http from 'node:http';
import express from 'express';
import { createResourceServer } from '../../dist/index.js';
import { protect, requireRole } from '../../dist/express/index.js';
import { ORDERS, ROLE, config, listen, ready } from './common.mjs';

const rs = createResourceServer({
  issuer: config.issuer,
  audience: config.audience,
  projectId: config.projectId,
  introspection: { auth: { type: 'client_secret_basic', ...config.introspectionClient } },
});
const app = express();
app.get('/orders', protect(rs), requireRole(ROLE), (_req, res) => res.json(ORDERS));
const server = http.createServer(app);
ready(await listen(server), () => server.close());
