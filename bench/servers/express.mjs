// Unguarded Express 5 app: the baseline for every Express row.
import http from 'node:http';
import express from 'express';
import { ORDERS, listen, ready } from './common.mjs';

const app = express();
app.get('/orders', (_req, res) => res.json(ORDERS));
const server = http.createServer(app);
ready(await listen(server), () => server.close());
