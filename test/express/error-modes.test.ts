/**
 * The Express error paths over real HTTP (supertest): `protect(rs, { onError: 'next' })`
 * hands the AuthError to the app's error middleware, `authErrorHandler()` answers it per
 * RFC 6750 and passes anything else on, and a `require*()` mounted without `protect()`
 * before it fails loudly instead of letting the request through.
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServer } from '../../lib/core/resource-server.js';
import { AuthError } from '../../lib/core/errors.js';
import { authErrorHandler, protect, requireRole, requireScope } from '../../lib/express/index.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { testKeys } from '../support/test-keys.js';

const silent = { warn: () => undefined, error: () => undefined };

describe('Express error modes', () => {
  let issuer: TestIssuer;
  let rs: ResourceServer;
  const seen: unknown[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', logger: silent });
  });

  afterAll(async () => {
    await issuer.close();
  });

  beforeEach(() => {
    seen.length = 0;
  });

  /** Records what reached the app's own error middleware, then lets it go on. */
  const recorder = (error: unknown, _req: Request, _res: Response, next: NextFunction): void => {
    seen.push(error);
    next(error);
  };

  function nextModeApp(): express.Express {
    const app = express();
    app.get('/me', protect(rs, { onError: 'next' }), (req, res) => res.json({ subject: req.auth?.subject }));
    app.get('/admin', protect(rs, { onError: 'next' }), requireRole('orders.admin'), (_req, res) => res.json({ ok: true }));
    app.get('/boom', () => {
      throw new Error('not an auth error');
    });
    app.use(recorder, authErrorHandler());
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(599).json({ handledBy: 'app', message: (error as Error).message });
    });
    return app;
  }

  it("onError: 'next' passes the AuthError to the app's error middleware; authErrorHandler() answers it per RFC 6750", async () => {
    const response = await request(nextModeApp()).get('/me').set('authorization', `Bearer ${await issuer.mintJwt({}, { expiresIn: -60 })}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The token has expired"');
    expect(response.body).toEqual({ statusCode: 401, error: 'invalid_token', error_description: 'The token has expired' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(AuthError);
    expect(seen[0]).toMatchObject({ code: 'ERR_TOKEN_EXPIRED', status: 401 });
  });

  it("onError: 'next' with no token: 401 with the bare challenge; a missing role: 403 naming it", async () => {
    const missing = await request(nextModeApp()).get('/me');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(seen[0]).toMatchObject({ code: 'ERR_TOKEN_MISSING' });
    const token = await issuer.mintJwt();
    const forbidden = await request(nextModeApp()).get('/admin').set('authorization', `Bearer ${token}`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="Missing role: one of orders.admin"');
    expect(seen.map((error) => (error as AuthError).code)).toEqual(['ERR_TOKEN_MISSING', 'ERR_ROLE_INSUFFICIENT']);
    expect(forbidden.text).not.toContain(token);
  });

  it("onError: 'next' lets a valid caller through to the route", async () => {
    const response = await request(nextModeApp()).get('/me').set('authorization', `Bearer ${await issuer.mintJwt()}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ subject: '200000000000000001' });
    expect(seen).toEqual([]);
  });

  it('authErrorHandler() passes any other error on to the next error middleware', async () => {
    const response = await request(nextModeApp()).get('/boom');
    expect(response.status).toBe(599);
    expect(response.body).toEqual({ handledBy: 'app', message: 'not an auth error' });
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('authErrorHandler() answers an AuthError thrown by the app itself (no protect() on the route)', async () => {
    const app = express();
    app.get('/manual', async (req, res, next) => {
      try {
        const caller = await rs.authenticate(req.headers.authorization, { scopes: ['orders:read'] });
        res.json({ subject: caller.subject });
      } catch (error) {
        next(error);
      }
    });
    app.use(authErrorHandler());
    const response = await request(app).get('/manual').set('authorization', `Bearer ${await issuer.mintJwt({ scope: 'openid' })}`);
    expect(response.status).toBe(403);
    // No protect() ran on this route, so the handler does not know the server's realm option
    // (RFC 6750 makes realm optional); the error, description and scope are all there.
    const challenge = String(response.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope", error_description="Missing scope: orders:read", scope="orders:read"');
    expect(response.body).toEqual({ statusCode: 403, error: 'insufficient_scope', error_description: 'Missing scope: orders:read' });
  });

  it('a require*() without protect() before it never lets the request through: the error names the fix', async () => {
    const app = express();
    app.get('/orders', requireScope('orders:read'), (_req, res) => res.json({ reached: true }));
    app.use(recorder);
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ message: (error as Error).message });
    });
    const response = await request(app).get('/orders').set('authorization', `Bearer ${await issuer.mintJwt({ scope: 'orders:read' })}`);
    expect(response.status).toBe(500);
    expect(response.body).not.toHaveProperty('reached');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'ResourceServerOptionsError' });
    expect((seen[0] as Error).message).toBe('require*() middleware must run after protect(): app.use(protect(rs)) first, or protect(rs) earlier in the route');
  });

  it('a require*() mounted before protect() on the same route fails the same way', async () => {
    const app = express();
    app.get('/orders', requireScope('orders:read'), protect(rs), (_req, res) => res.json({ reached: true }));
    app.use(recorder);
    app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).end();
    });
    const response = await request(app).get('/orders').set('authorization', `Bearer ${await issuer.mintJwt({ scope: 'orders:read' })}`);
    expect(response.status).toBe(500);
    expect((seen[0] as Error).message).toContain('must run after protect()');
  });

  it('refuses an unknown onError mode at construction', () => {
    expect(() => protect(rs, { onError: 'throw' as never })).toThrow('"onError" option of protect() must be "respond" or "next"');
  });

  it('authErrorHandler(rs) answers an AuthError raised without protect() (your own rs.authenticate()) with that server\'s challenge', async () => {
    const app = express();
    app.get('/custom', async (req, _res, next) => {
      try {
        await rs.authenticate(req.headers.authorization);
      } catch (error) {
        next(error);
      }
    });
    app.use(authErrorHandler(rs));
    const withServer = await request(app).get('/custom');
    expect(withServer.status).toBe(401);
    expect(withServer.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(withServer.body).toEqual({ statusCode: 401, error: 'unauthorized', error_description: 'A bearer token is required' });

    // Without the server there is no realm to name: the bare challenge.
    const bare = express();
    bare.get('/custom', (_req, _res, next) => rs.authenticate(undefined).catch(next));
    bare.use(authErrorHandler());
    expect((await request(bare).get('/custom')).headers['www-authenticate']).toBe('Bearer');
  });
});

