// Express 5 + zitadel-resource-server, as the README sets it up: protect(options) (its
// default audit sink writes one JSON line per decision to stdout) + requireRole('orders.read').
// `express-zrs-noaudit` runs this file with `audit: false`.
import http from 'node:http';
import express from 'express';
import { auditOption, config, listen, ORDERS, ready, ROLE, zrs } from './common.mjs';
const { protect, requireRole } = await zrs('express');

const guard = protect({
  issuer: config.issuer,
  audience: config.audience,
  projectId: config.projectId,
  introspection: { auth: { type: 'client_secret_basic', ...config.introspectionClient } },
  ...auditOption,
});
const app = express();
app.get('/orders', guard, requireRole(ROLE), (_req, res) => res.json(ORDERS));
const server = http.createServer(app);
ready(await listen(server), () => server.close());
