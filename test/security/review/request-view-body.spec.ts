/**
 * Attack on d37c8b0 (every adapter hands the pipeline a `NodeRequestView` that reads `body`
 * once, when it is made). The view is made by the first decision of a request and kept in
 * it; when an optional route is then turned into a protected one (Express: `protect(rs,
 * { optional: true })` and a `require*()` after the body parser; Fastify: `auth: { optional:
 * true }` and a `require*()` preHandler, decided in onRequest), the pipeline decides again
 * from the credentials, reading the same view: its `body` is still the one from before the
 * body was parsed. 2bd4abc read the request itself (Express) or a live getter (Fastify).
 *
 * Observed on d37c8b0..3079d52: a form-body `access_token` is not seen any more, so
 * - with the body carrier enabled (Express), a valid token there gets 401 "A bearer token is
 *   required" instead of 200;
 * - with the header only, a token in the body gets 401 instead of 400 invalid_request
 *   ("Tokens in the request body are not accepted", the DESIGN.md rule for a carrier that is
 *   not enabled).
 * Refusals either way (no allow that should not be). 5a65506 made `body` a getter again and
 * these pass: kept as its regression tests.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Request, Response } from 'express';
import Fastify from 'fastify';
import type { FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { protect, requireRole } from '../../../lib/express/index.js';
import { requireRole as fastifyRequireRole, resourceServer } from '../../../lib/fastify/index.js';
import { send } from '../../support/send.js';
import type { Sent } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

describe('an optional route turned protected after the body was parsed reads the parsed body', () => {
  let issuer: TestIssuer;
  let reader = '';

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    reader = await issuer.mintJwt({ sub: 'reader', ...issuer.roleClaims(['orders.read']) });
  });
  afterAll(async () => {
    await issuer.close();
  });

  const options = (bearerMethods: ResourceServerOptions['bearerMethods']): ResourceServerOptions => ({
    issuer: issuer.issuer,
    audience: 'test-project',
    projectId: 'test-project',
    audit: false,
    bearerMethods,
  });

  const formToken = (url: string): Promise<Sent> =>
    send(url, { method: 'POST', headers: [['content-type', 'application/x-www-form-urlencoded']], body: `access_token=${reader}` });

  /** Express: optional protect() at app level, the body parser, then requireRole() on the route. */
  async function express5(bearerMethods: ResourceServerOptions['bearerMethods']): Promise<Sent> {
    const rs = createResourceServer(options(bearerMethods));
    const app = express();
    app.use(protect(rs, { optional: true }));
    app.use(express.urlencoded({ extended: false }));
    app.post('/orders', requireRole('orders.read'), (req: Request, res: Response) => res.json({ subject: req.auth?.subject ?? null }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      return await formToken(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('Express, body carrier enabled: the token in the form body is the caller', async () => {
    const response = await express5(['header', 'body']);
    // Observed on 3079d52: 401 unauthorized "A bearer token is required".
    expect([response.status, response.body]).toEqual([200, { subject: 'reader' }]);
  });

  it('Express, header only: a token in the form body is an invalid request', async () => {
    const response = await express5(['header']);
    // Observed on 3079d52: 401 unauthorized.
    expect([response.status, (response.body as { error?: string }).error]).toEqual([400, 'invalid_request']);
  });

  it('Fastify, header only: a token in the form body is an invalid request', async () => {
    const app = Fastify();
    try {
      await app.register(formbody);
      await app.register(resourceServer, { server: createResourceServer(options(['header'])) });
      app.post('/orders', { config: { auth: { optional: true } }, preHandler: fastifyRequireRole('orders.read') }, (request: FastifyRequest) => ({ subject: request.auth?.subject ?? null }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const response = await formToken(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/orders`);
      // Observed on 3079d52: 401 unauthorized.
      expect([response.status, (response.body as { error?: string }).error]).toEqual([400, 'invalid_request']);
    } finally {
      await app.close();
    }
  });
});
