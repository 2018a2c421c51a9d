// Express 5 + zitadel-resource-server: protect(rs) + requireRole('orders.read').
import http from 'node:http';
import express from 'express';
import { config, listen, ORDERS, ready, ROLE, zrs } from './common.mjs';
const { protect, requireRole } = await zrs('express');
const { createResourceServer } = await zrs();

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
