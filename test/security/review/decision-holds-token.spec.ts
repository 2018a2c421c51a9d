/**
 * Leak surface: the `Decision` that `rs.decide()` returns (public API, "the whole answer")
 * is the pipeline's `DecisionState`, whose `token` (the raw bearer token) and `hash` are
 * ordinary enumerable fields. Logging a decision — `console.log(decision)`,
 * `logger.info({ decision })`, `JSON.stringify(decision)` — writes the token. On Express the
 * same object now hangs off every request (`req[Symbol.for('zitadel-resource-server.express.decision')]`),
 * also for tokens from the body or query carrier. The previous version kept only
 * `{ server, mode }` on the request.
 */
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Request, Response } from 'express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { createRoute } from '../../../lib/core/pipeline/route.js';
import { protect } from '../../../lib/express/index.js';
import { testKeys } from '../../support/test-keys.js';

describe('a decision never carries the raw token in a loggable form', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(() => issuer.close());

  it('rs.decide(): inspect() and JSON.stringify() of the decision do not contain the token', async () => {
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', audit: false });
    const token = await issuer.mintJwt();
    const decision = await rs.decide({ http: { headers: { authorization: `Bearer ${token}` } } }, createRoute());
    expect(decision.outcome).toBe('allow');
    expect(Object.keys(decision)).not.toContain('token');
    expect(inspect(decision, { depth: 0 }).includes(token)).toBe(false);
    expect(JSON.stringify(decision).includes(token)).toBe(false);
  });

  it('Express: inspecting req (a token from the form body) does not show the token', async () => {
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', audit: false, bearerMethods: ['body'] });
    const token = await issuer.mintJwt();
    let dump = '';
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(protect(rs));
    app.post('/x', (req: Request, res: Response) => {
      const { body: _body, ...rest } = req as unknown as Record<string | symbol, unknown>;
      // What a debug logger that drops the body (it holds form data) would print.
      dump = inspect(Object.fromEntries(Object.getOwnPropertySymbols(req).map((s) => [String(s), rest[s]])), { depth: 1 });
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${token}`,
      });
      expect(response.status).toBe(200);
      expect(dump.includes(token)).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
