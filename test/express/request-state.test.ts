/**
 * Where `protect()` keeps a request's decision for the `require*()` after it: one property
 * of the request (Express re-prototypes every request, after which each added property
 * costs a V8 map transition), never `res.locals`, which views spread (Express' `res.render`
 * does) and apps may share. It works on a plain Node server too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServer } from '../../lib/core/resource-server.js';
import { protect, requireRole } from '../../lib/express/index.js';
import type { ProtectedRequest } from '../../lib/express/index.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { testKeys } from '../support/test-keys.js';

const silent = { warn: () => undefined, error: () => undefined };

describe('Express per-request state', () => {
  let issuer: TestIssuer;
  let rs: ResourceServer;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', logger: silent });
  });

  afterAll(async () => {
    await issuer.close();
  });

  it('adds req.auth and one state property to the request, and nothing to res.locals', async () => {
    const app = express();
    app.get('/orders', protect(rs), requireRole('orders.read'), (req, res) => {
      res.json({
        subject: req.auth?.subject,
        ourSymbols: Object.getOwnPropertySymbols(req).map(String).filter((name) => name.includes('zitadel')),
        spreadLocals: Object.getOwnPropertySymbols({ ...res.locals }).length,
        localsKeys: Object.keys(res.locals),
        localsJson: JSON.stringify(res.locals),
      });
    });
    const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) });
    const response = await request(app).get('/orders').set('authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subject: 'svc-1', ourSymbols: ['Symbol(zitadel-resource-server.express.held)'], spreadLocals: 0, localsKeys: [], localsJson: '{}' });
  });

  it('on a plain Node server, require*() still refines the decision protect() made', async () => {
    const guard = protect(rs);
    const role = requireRole('orders.admin');
    const server = http.createServer((req, res) => {
      guard(req as ProtectedRequest, res, (error?: unknown) => {
        if (error !== undefined) throw error;
        role(req as ProtectedRequest, res, (roleError?: unknown) => {
          if (roleError !== undefined) throw roleError;
          res.end(JSON.stringify({ subject: (req as ProtectedRequest).auth?.subject }));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
      const reader = await fetch(url, { headers: { authorization: `Bearer ${await issuer.mintJwt({ sub: 'svc-2', ...issuer.roleClaims(['orders.read']) })}` } });
      expect(reader.status).toBe(403);
      const admin = await fetch(url, { headers: { authorization: `Bearer ${await issuer.mintJwt({ sub: 'svc-3', ...issuer.roleClaims(['orders.admin']) })}` } });
      expect(admin.status).toBe(200);
      expect(await admin.json()).toEqual({ subject: 'svc-3' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
