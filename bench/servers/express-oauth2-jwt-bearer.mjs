// Peer: Express 5 + express-oauth2-jwt-bearer (Auth0). issuer + jwksUri given, so no
// discovery; `strict` stays false (the default), so ZITADEL's `typ: JWT` is accepted
// (strict mode demands RFC 9068 `at+jwt`). http: issuers are allowed unless NODE_ENV=production.
import http from 'node:http';
import express from 'express';
import { auth, claimCheck } from 'express-oauth2-jwt-bearer';
import { ORDERS, config, hasRole, listen, ready } from './common.mjs';

const app = express();
app.get(
  '/orders',
  auth({ issuer: config.issuer, jwksUri: config.jwksUri, audience: config.audience, tokenSigningAlg: 'RS256' }),
  claimCheck((claims) => hasRole(claims), 'missing role'),
  (_req, res) => res.json(ORDERS),
);
const server = http.createServer(app);
ready(await listen(server), () => server.close());
