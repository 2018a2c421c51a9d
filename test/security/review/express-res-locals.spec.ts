/**
 * Attack on d37c8b0 (Express: the request's protect() state and decision moved from symbol
 * properties of `req` to a non-enumerable entry of `res.locals`). `res.locals` belongs to the
 * app: apps replace it, copy it, freeze it or share one object, and it does not exist until
 * Express' own init ran. The previous version kept the state on the request and every case
 * below answered 200 / 401 / 403 as it should (checked against 2bd4abc).
 *
 * 1. Fail open. When `res.locals` is one object for every request (an app that assigns a
 *    shared object to it), the first request's entry stays there: the next `protect()` of the
 *    same server takes it as "this request's decision so far" and refines it, without reading
 *    its own token. Observed: a request with no token, and one with a token lacking the role,
 *    get 200 with the first caller's principal.
 * 2. A 500 instead of a decision. `res.locals` replaced by a copy between `protect()` and
 *    `require*()` (`res.locals = { ...res.locals, … }`: the entry is not enumerable, so a
 *    spread drops it), frozen before `protect()` (`Object.defineProperty` throws), or made
 *    after `protect()` ran (`protect()` on a plain Node server in front of an Express app):
 *    `require*()` finds no entry and calls `next(ResourceServerOptionsError)`, Express answers
 *    500 (with a stack trace outside production), for a valid caller and for a refused one.
 *
 * Observed on d37c8b0..3079d52; 5a65506 put the entry back on the request, and every case
 * here passes again: kept as the regression tests of that move.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import express4 from 'express4';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { ResourceServer } from '../../../lib/core/resource-server.js';
import { protect, requireRole } from '../../../lib/express/index.js';
import type { ProtectedRequest } from '../../../lib/express/index.js';
import { get } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

type Outcome = [status: number, subjectOrError: string | null];

describe.each([
  ['Express 5', () => express()],
  ['Express 4', () => (express4 as unknown as typeof express)()],
])('protect() state beside res.locals on %s', (_name, makeApp) => {
  let issuer: TestIssuer;
  let rs: ResourceServer;
  let admin = '';
  let reader = '';

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: false, logger: { warn: () => undefined, error: () => undefined } });
    admin = await issuer.mintJwt({ sub: 'admin', ...issuer.roleClaims(['orders.admin']) });
    reader = await issuer.mintJwt({ sub: 'reader', ...issuer.roleClaims(['orders.read']) });
  });
  afterAll(async () => {
    await issuer.close();
  });

  const who = (req: Request, res: Response) => res.json({ subject: req.auth?.subject ?? null });

  /** Serves `listener` on 127.0.0.1 and sends the requests one after another. */
  async function outcomes(listener: http.RequestListener, tokens: (string | undefined)[]): Promise<Outcome[]> {
    const server = http.createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
    try {
      const seen: Outcome[] = [];
      for (const token of tokens) {
        const response = await get(url, token);
        const body = response.body as { subject?: string | null; error?: string } | undefined;
        seen.push([response.status, body?.subject ?? body?.error ?? null]);
      }
      return seen;
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** GET /admin: `before`, app-level protect(rs), `between`, then requireRole('orders.admin'). */
  function app(before: RequestHandler | undefined, between: RequestHandler | undefined): http.RequestListener {
    const built = makeApp();
    if (before) built.use(before);
    built.use(protect(rs));
    if (between) built.use(between);
    built.get('/admin', requireRole('orders.admin'), who);
    return built as unknown as http.RequestListener;
  }

  it('a res.locals object shared by every request never hands one caller\'s decision to the next request', async () => {
    const shared = {};
    const share = (_req: Request, res: Response, next: NextFunction) => {
      (res as { locals: object }).locals = shared;
      next();
    };
    // Observed on 3079d52: [[200, 'admin'], [200, 'admin'], [200, 'admin']].
    expect(await outcomes(app(share, undefined), [admin, undefined, reader])).toEqual([
      [200, 'admin'],
      [401, 'unauthorized'],
      [403, 'insufficient_scope'],
    ]);
  });

  it('res.locals replaced by a copy between protect() and requireRole(): the role is still decided (no 500)', async () => {
    const copy = (_req: Request, res: Response, next: NextFunction) => {
      res.locals = { ...res.locals, theme: 'dark' };
      next();
    };
    // Observed on 3079d52: [[500, null], [500, null]] (Express' HTML error page).
    expect(await outcomes(app(undefined, copy), [admin, reader])).toEqual([
      [200, 'admin'],
      [403, 'insufficient_scope'],
    ]);
  });

  it('res.locals frozen before protect(): the request is still decided (no 500)', async () => {
    const freeze = (_req: Request, res: Response, next: NextFunction) => {
      Object.freeze(res.locals);
      next();
    };
    // Observed on 3079d52: [[500, null], [500, null]] (TypeError: Cannot define property … object is not extensible).
    expect(await outcomes(app(freeze, undefined), [admin, reader])).toEqual([
      [200, 'admin'],
      [403, 'insufficient_scope'],
    ]);
  });

  it('protect() on a plain Node server in front of an Express app: its requireRole() still refines that decision (no 500)', async () => {
    const routes = makeApp();
    routes.get('/admin', requireRole('orders.admin'), who);
    const guard = protect(rs);
    const listener: http.RequestListener = (req, res) => {
      guard(req as ProtectedRequest, res, (error?: unknown) => {
        if (error !== undefined) {
          res.statusCode = 599;
          res.end();
          return;
        }
        (routes as unknown as http.RequestListener)(req, res);
      });
    };
    // Observed on 3079d52: [[500, null], [500, null]]: Express made res.locals after protect() wrote its entry on the request.
    expect(await outcomes(listener, [admin, reader, undefined])).toEqual([
      [200, 'admin'],
      [403, 'insufficient_scope'],
      [401, 'unauthorized'],
    ]);
  });
});
