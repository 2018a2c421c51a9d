/**
 * Express: `protect()` twice on one request (app level and route/router level — an easy
 * layering to end up with). The previous version kept one audit state per request
 * (`startState` returned early when the request already had one): one event. Now every
 * `protect()` makes a new open decision with its own pending allow: two `allow` events for
 * one request, and the audit trail counts two calls.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Request, Response } from 'express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { protect, requireRole } from '../../../lib/express/index.js';
import { get } from '../../support/send.js';
import { AuditRecorder } from '../../support/audit-sink.js';
import { testKeys } from '../../support/test-keys.js';

describe('protect() at app level and again on the route', () => {
  let issuer: TestIssuer;
  let server: ReturnType<express.Express['listen']>;
  let url: string;
  const audit = new AuditRecorder();
  const events = audit.events;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: audit.sink });
    const app = express();
    app.use(protect(rs));
    const router = express.Router();
    router.use(protect(rs));
    router.get('/orders', requireRole('orders.read'), (req: Request, res: Response) => res.json({ subject: req.auth?.subject }));
    app.use('/api', router);
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await issuer.close();
  });

  it('records one event for one allowed request', async () => {
    const token = await issuer.mintJwt({ sub: 'reader', ...issuer.roleClaims(['orders.read']) });
    expect((await get(`${url}/api/orders`, token)).status).toBe(200);
    await audit.waitFor(1);
    expect(events.map((e) => [e.decision, e.subject])).toEqual([['allow', 'reader']]);
  });

  it('records one event for one refused request', async () => {
    events.length = 0;
    const token = await issuer.mintJwt({ sub: 'nobody' });
    expect((await get(`${url}/api/orders`, token)).status).toBe(403);
    await audit.waitFor(1);
    expect(events.map((e) => [e.decision, e.reason ?? null])).toEqual([['deny', 'ERR_ROLE_INSUFFICIENT']]);
  });
});
