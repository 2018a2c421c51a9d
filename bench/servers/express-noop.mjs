// Express 5 with two middleware that only call next(), where protect() and requireRole() go:
// the floor any two-middleware guard costs in Express. Not a competitor.
import http from 'node:http';
import express from 'express';
import { ORDERS, listen, ready } from './common.mjs';

const pass = (_req, _res, next) => next();
const app = express();
app.get('/orders', pass, pass, (_req, res) => res.json(ORDERS));
const server = http.createServer(app);
ready(await listen(server), () => server.close());
