/**
 * The Fastify plugin's own behaviour (the transport contract runs in test/e2e and
 * test/security with the 'fastify' app kind): which routes its scope covers, the route
 * config shapes, preHandler order, optional and public routes, options and metadata.
 * Requests are real HTTP on 127.0.0.1 (Fastify's inject() needs an ESM cookie module Jest's
 * VM cannot require).
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEvent } from '../../lib/core/audit.js';
import { jsonLinesAuditSink } from '../../lib/core/audit.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import type { Principal } from '../../lib/core/principal.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServer } from '../../lib/core/resource-server.js';
import { requireActiveToken, requireAnyScope, requireRole, requireScope, resourceMetadataRoute, resourceServer } from '../../lib/fastify/index.js';
import type { RouteAuthConfig } from '../../lib/fastify/index.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

let issuer: TestIssuer;
let events: AuditEvent[];
let rs: ResourceServer;
const apps: FastifyInstance[] = [];

function options(extra: Partial<ResourceServerOptions> = {}): ResourceServerOptions {
  return {
    issuer: issuer.issuer,
    audience: 'test-project',
    projectId: 'test-project',
    introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
    audit: (event) => events.push(event),
    ...extra,
  };
}

/** A Fastify app, closed after the test. */
function fastify(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  return app;
}

const who = (request: FastifyRequest) => ({ subject: request.auth?.subject ?? null });

/** Starts the app (once) and sends one request: `Authorization: Bearer <token>` when given. */
async function call(app: FastifyInstance, path: string, token?: string, method = 'GET', extra: { headers?: [string, string][]; body?: string } = {}) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${path}`;
  const headers: [string, string][] = [...(token === undefined ? [] : [['authorization', `Bearer ${token}`] as [string, string]]), ...(extra.headers ?? [])];
  const response = await send(url, { method, headers, ...(extra.body === undefined ? {} : { body: extra.body }) });
  // An allow is audited when the response closes: let that happen before the caller looks.
  for (let spin = 0; spin < 20; spin += 1) await new Promise((resolve) => setImmediate(resolve));
  return { status: response.status, headers: response.headers, body: response.body as Record<string, unknown> | undefined };
}

// In a describe, so that these hooks serve this file's tests only (see test/support/specs.ts).
describe('the Fastify plugin', () => {
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  beforeEach(() => {
    events = [];
    rs = createResourceServer(options());
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await issuer.close();
  });

  describe('the plugin registered twice on one request path', () => {
    it('at the root and again in a child scope: one decision and one audit event per request, the child\'s rules applied', async () => {
      const app = fastify();
      app.register(resourceServer, { server: rs });
      app.register(
        async (child) => {
          await child.register(resourceServer, { server: rs });
          child.get('/orders', { config: { auth: { roles: ['orders.read'] } } }, who);
        },
        { prefix: '/api' },
      );
      const reader = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
      expect((await call(app, '/api/orders', reader)).status).toBe(200);
      expect(events.map((e) => e.decision)).toEqual(['allow']);
      events.length = 0;
      expect((await call(app, '/api/orders', await issuer.mintJwt())).status).toBe(403);
      expect(events.map((e) => [e.decision, e.reason])).toEqual([['deny', 'ERR_ROLE_INSUFFICIENT']]);
    });
  });

  describe('the scope the plugin protects', () => {
    it('covers every route of the scope it is registered in, declared before or after it, and its child scopes', async () => {
      const app = fastify();
      app.get('/before', who);
      app.register(resourceServer, { server: rs });
      app.get('/after', who);
      app.register(async (child) => child.get('/child', who), { prefix: '/c' });
      for (const url of ['/before', '/after', '/c/child']) {
        expect((await call(app, url)).status).toBe(401);
      }
      const token = await issuer.mintJwt({ sub: 'svc-1' });
      expect((await call(app, '/after', token)).body).toEqual({ subject: 'svc-1' });
    });

    it('registered inside a plugin, leaves the routes outside that plugin alone', async () => {
      const app = fastify();
      app.get('/outside', who);
      app.register(async (api) => {
        await api.register(resourceServer, { server: rs });
        api.get('/inside', who);
      }, { prefix: '/api' });
      app.register(async (sibling) => sibling.get('/sibling', who));
      expect(await call(app, '/outside')).toMatchObject({ status: 200, body: { subject: null } });
      expect((await call(app, '/sibling')).status).toBe(200);
      expect((await call(app, '/api/inside')).status).toBe(401);
      // The decoration is Fastify's: request.auth exists (undefined) everywhere, set only inside.
      expect(events.map((e) => e.route.path)).toEqual(['/api/inside']);
    });

    it('answers unknown paths of its scope like its routes: a valid token first, then 404', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      expect((await call(app, '/nowhere')).status).toBe(401);
      expect((await call(app, '/nowhere', await issuer.mintJwt())).status).toBe(404);
    });

    it('is a Fastify plugin with a name and a Fastify version range (fastify-plugin metadata)', () => {
      const meta = (resourceServer as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')];
      expect(meta).toMatchObject({ name: 'zitadel-resource-server', fastify: '5.x' });
      expect((resourceServer as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true);
    });
  });

  describe('route config', () => {
    async function appWith(auth: RouteAuthConfig | undefined, server = rs): Promise<FastifyInstance> {
      const app = fastify();
      await app.register(resourceServer, { server });
      app.post('/orgs/:orgId/orders', auth === undefined ? {} : { config: { auth } }, who);
      app.get('/route', auth === undefined ? {} : { config: { auth } }, who);
      return app;
    }

    it('scopes: every one of them (403 naming the scopes)', async () => {
      const app = await appWith({ scopes: ['orders:read', 'orders:write'] });
      const some = await call(app, '/route', await issuer.mintJwt({ scope: 'orders:read' }));
      expect(some.status).toBe(403);
      expect(some.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="Missing scope: orders:write", scope="orders:read orders:write"',
      );
      expect((await call(app, '/route', await issuer.mintJwt({ scope: 'orders:read orders:write' }))).status).toBe(200);
    });

    it('anyScopes: at least one', async () => {
      const app = await appWith({ anyScopes: ['a', 'b'] });
      expect((await call(app, '/route', await issuer.mintJwt({ scope: 'c' }))).status).toBe(403);
      expect((await call(app, '/route', await issuer.mintJwt({ scope: 'b' }))).status).toBe(200);
    });

    it('roles with roleOrg as a function of the request: granted in that organization', async () => {
      const app = await appWith({ roles: ['orders.write'], roleOrg: (request) => (request.params as { orgId: string }).orgId });
      const token = await issuer.mintJwt(issuer.roleClaims({ 'orders.write': ['100'] }));
      const json = { headers: [['content-type', 'application/json']] as [string, string][], body: '{}' };
      expect((await call(app, '/orgs/100/orders', token, 'POST', json)).status).toBe(200);
      const elsewhere = await call(app, '/orgs/200/orders', token, 'POST', json);
      expect(elsewhere).toMatchObject({ status: 403, body: { error: 'insufficient_scope', error_description: 'Missing role: one of orders.write in organization 200' } });
    });

    it('activeToken: asks the issuer about a JWT that verifies locally, so a revoked one is refused', async () => {
      const app = await appWith({ activeToken: true });
      const live = await issuer.mintJwt({ sub: 'svc-live' });
      const revoked = await issuer.mintJwt({ sub: 'svc-revoked' });
      issuer.revoke(revoked);
      issuer.resetCounts();
      expect((await call(app, '/route', live)).status).toBe(200);
      expect(issuer.requests.introspection).toBe(1);
      expect((await call(app, '/route', revoked)).status).toBe(401);
    });

    it('optional: no token or a bad one passes without a caller; a valid one yields the caller', async () => {
      const app = await appWith({ optional: true });
      expect(await call(app, '/route')).toMatchObject({ status: 200, body: { subject: null } });
      expect(await call(app, '/route', 'not-a-token')).toMatchObject({ status: 200, body: { subject: null } });
      expect(await call(app, '/route', await issuer.mintJwt({ sub: 'svc-2' }))).toMatchObject({ status: 200, body: { subject: 'svc-2' } });
      expect(events.map((e) => [e.decision, e.subject])).toEqual([['allow', undefined], ['allow', undefined], ['allow', 'svc-2']]);
    });

    it('public: not touched at all — no decision, no audit event, no caller even with a valid token', async () => {
      const app = await appWith({ public: true });
      expect(await call(app, '/route', await issuer.mintJwt({ sub: 'svc-3' }))).toMatchObject({ status: 200, body: { subject: null } });
      expect(events).toEqual([]);
    });

    it('compiles a route once: the same auth object gives the same compiled route', async () => {
      const { RouteConfigs } = await import('../../lib/fastify/route-config.js');
      const configs = new RouteConfigs();
      const auth = { scopes: ['a'] };
      expect(configs.routeOf(auth)).toBe(configs.routeOf(auth));
      expect(configs.routeOf(undefined)).toBe(configs.routeOf(undefined));
      expect(configs.routeOf({ public: true })).toBeNull();
    });

    it.each<[string, unknown, string]>([
      ['an unknown key (a typo would silently drop a requirement)', { scope: ['orders:read'] }, '"config.auth.scope" is unknown'],
      ['a string instead of a list', { scopes: 'orders:read' }, '"config.auth.scopes" needs at least one non-empty name'],
      ['an empty list', { roles: [] }, '"config.auth.roles" needs at least one non-empty name'],
      ['roleOrg without roles', { roleOrg: 'own' }, '"config.auth.roleOrg" needs "roles"'],
      ['a bad roleOrg', { roles: ['x'], roleOrg: 42 }, 'the organization must be an id'],
      ['optional with a requirement (it would never be checked)', { optional: true, scopes: ['a'] }, '"config.auth.optional" checks no requirement'],
      ['public with anything else', { public: true, roles: ['x'] }, '"config.auth.public" takes no other auth option'],
      ['a non-boolean flag', { activeToken: 'yes' }, '"config.auth.activeToken" must be a boolean'],
      ['not an object', true, '"config.auth" must be an object'],
    ])('refuses %s when the route is registered', async (_name, auth, message) => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      expect(() => app.get('/bad', { config: { auth: auth as RouteAuthConfig } }, who)).toThrow(message);
    });

    it('fails closed (500, no handler) on a bad config it only meets at the first request', async () => {
      const app = fastify();
      let ran = false;
      app.register(resourceServer, { server: rs });
      // Declared before the plugin loaded: onRoute never saw it.
      app.get('/late', { config: { auth: { scope: ['a'] } as RouteAuthConfig } }, () => { ran = true; return {}; });
      const response = await call(app, '/late', await issuer.mintJwt());
      expect(response.status).toBe(500);
      expect(ran).toBe(false);
    });
  });

  describe('require*() preHandlers', () => {
    it('refine the one decision in order: route config first, then each preHandler, one audit event', async () => {
      const app = fastify();
      const seen: string[] = [];
      await app.register(resourceServer, { server: rs });
      app.get('/chain', {
        config: { auth: { anyScopes: ['a', 'b'] } },
        preHandler: [
          (request, _reply, done) => { seen.push(`mine:${request.auth?.subject}`); done(); },
          requireScope('a'),
          requireRole('orders.admin'),
          (_request, _reply, done) => { seen.push('after'); done(); },
        ],
      }, who);
      const noScope = await call(app, '/chain', await issuer.mintJwt({ sub: 'svc-x', scope: 'c' }));
      expect(noScope.body).toMatchObject({ error_description: 'One of these scopes is required: a b' });
      expect(seen).toEqual([]);
      const noRole = await call(app, '/chain', await issuer.mintJwt({ sub: 'svc-y', scope: 'a' }));
      expect(noRole).toMatchObject({ status: 403, body: { error_description: 'Missing role: one of orders.admin' } });
      expect(seen).toEqual(['mine:svc-y']);
      const ok = await call(app, '/chain', await issuer.mintJwt({ sub: 'svc-z', scope: 'a', ...issuer.roleClaims(['orders.admin']) }));
      expect(ok).toMatchObject({ status: 200, body: { subject: 'svc-z' } });
      expect(seen).toEqual(['mine:svc-y', 'mine:svc-z', 'after']);
      expect(events.map((e) => [e.decision, e.status, e.reason, e.subject])).toEqual([
        ['deny', 403, 'ERR_SCOPE_INSUFFICIENT', 'svc-x'],
        ['deny', 403, 'ERR_ROLE_INSUFFICIENT', 'svc-y'],
        ['allow', 200, undefined, 'svc-z'],
      ]);
    });

    it('apply to a whole scope as a preHandler hook', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      app.register(async (admin) => {
        admin.addHook('preHandler', requireAnyScope('admin'));
        admin.get('/x', who);
      }, { prefix: '/admin' });
      app.get('/y', who);
      const token = await issuer.mintJwt({ scope: 'user' });
      expect((await call(app, '/admin/x', token)).status).toBe(403);
      expect((await call(app, '/y', token)).status).toBe(200);
    });

    it('turn an optional route into a protected one: the request is decided again', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      app.get('/maybe', { config: { auth: { optional: true } }, preHandler: requireScope('a') }, who);
      expect((await call(app, '/maybe')).status).toBe(401);
      expect((await call(app, '/maybe', await issuer.mintJwt({ sub: 'svc-a', scope: 'a' }))).body).toEqual({ subject: 'svc-a' });
      expect(events.map((e) => e.decision)).toEqual(['deny', 'allow']);
    });

    it('requireActiveToken() introspects like activeToken: true', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      app.get('/live', { preHandler: requireActiveToken() }, who);
      const token = await issuer.mintJwt();
      issuer.resetCounts();
      expect((await call(app, '/live', token)).status).toBe(200);
      expect(issuer.requests.introspection).toBe(1);
    });

    it('fail closed outside the plugin (or on a public route): 500, the handler never runs', async () => {
      const app = fastify();
      let ran = 0;
      app.get('/nobody', { preHandler: requireScope('a') }, () => { ran += 1; return {}; });
      app.register(async (api) => {
        await api.register(resourceServer, { server: rs });
        api.get('/open', { config: { auth: { public: true } }, preHandler: requireScope('a') }, () => { ran += 1; return {}; });
      });
      expect((await call(app, '/nobody', await issuer.mintJwt({ scope: 'a' }))).status).toBe(500);
      expect((await call(app, '/open', await issuer.mintJwt({ scope: 'a' }))).status).toBe(500);
      expect(ran).toBe(0);
    });

    it('validate their arguments when created', () => {
      expect(() => requireScope()).toThrow('requireScope() needs at least one non-empty name');
      expect(() => requireRole('', { org: 'own' })).toThrow('requireRole() needs at least one non-empty name');
      expect(() => requireRole({ org: 'own' } as unknown as string)).toThrow('requireRole() needs at least one non-empty name');
    });
  });

  describe('refusals through the reply', () => {
    it('go through the app\'s onSend hooks, with status, challenge, no-store and the JSON body of every adapter', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: rs });
      app.addHook('onSend', async (_request, reply) => { reply.header('x-app', 'seen'); });
      app.get('/me', who);
      const response = await call(app, '/me', await issuer.mintJwt({}, { expiresIn: -60 }));
      expect(response).toEqual({
        status: 401,
        headers: expect.objectContaining({
          'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          'x-app': 'seen',
        }),
        body: { statusCode: 401, error: 'invalid_token', error_description: 'The token has expired' },
      });
    });
  });

  describe('plugin options', () => {
    it('creates a server from options, auditing to stdout as JSON lines by default (as Express protect(options))', async () => {
      const write = process.stdout.write;
      let line!: string;
      // The sink writes its batch within maxDelayMs (10 ms) of the decision.
      const written = new Promise<void>((resolve) => {
        process.stdout.write = ((chunk: string) => {
          if (String(chunk).includes('"decision"')) {
            line = String(chunk);
            resolve();
          }
          return true;
        }) as typeof process.stdout.write;
      });
      try {
        const app = fastify();
        const { audit: _audit, ...noSink } = options();
        await app.register(resourceServer, noSink);
        app.get('/me', who);
        expect((await call(app, '/me')).status).toBe(401);
        await written;
      } finally {
        process.stdout.write = write;
      }
      const event = JSON.parse(line.split('\n')[0]!) as AuditEvent;
      expect(event).toMatchObject({ decision: 'deny', reason: 'ERR_TOKEN_MISSING', status: 401, route: { method: 'GET', template: '/me', path: '/me' } });
    });

    it('fastify.close() writes the audit events still buffered (a JSON-lines sink writes in batches)', async () => {
      const writes: string[] = [];
      const audit = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) }, { maxDelayMs: 1000 });
      const app = Fastify();
      await app.register(resourceServer, options({ audit }));
      app.get('/me', who);
      expect((await call(app, '/me')).status).toBe(401);
      expect(writes).toEqual([]);
      await app.close();
      expect(writes.join('').split('\n').filter(Boolean).map((entry) => (JSON.parse(entry) as AuditEvent).reason)).toEqual(['ERR_TOKEN_MISSING']);
    });

    it('refuses a "server" that is not a resource server', async () => {
      const app = fastify();
      app.register(resourceServer, { server: {} as ResourceServer });
      await expect(app.ready()).rejects.toThrow('"server" option of the resourceServer plugin must be a server from createResourceServer()');
    });

    it('reads a token in a form body when the "body" carrier is enabled (it then authenticates after parsing)', async () => {
      const app = fastify();
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
      await app.register(resourceServer, { server: createResourceServer(options({ bearerMethods: ['header', 'body'] })) });
      app.post('/form', who);
      const token = await issuer.mintJwt({ sub: 'svc-form' });
      const response = await call(app, '/form', undefined, 'POST', { headers: [['content-type', 'application/x-www-form-urlencoded']], body: `access_token=${token}` });
      expect(response).toMatchObject({ status: 200, body: { subject: 'svc-form' } });
    });
  });

  describe('RFC 9728 metadata', () => {
    const resourceMetadata = { resource: 'https://orders.acme.test' };

    it('is served by the plugin, GET and HEAD, without a token, while every other route needs one', async () => {
      const app = fastify();
      await app.register(resourceServer, { server: createResourceServer(options({ resourceMetadata })) });
      const document = await call(app, '/.well-known/oauth-protected-resource');
      expect(document).toMatchObject({ status: 200, headers: { 'cache-control': 'public, max-age=3600', 'access-control-allow-origin': '*' } });
      expect(document.body).toMatchObject({ resource: 'https://orders.acme.test', authorization_servers: [issuer.issuer] });
      expect((await call(app, '/.well-known/oauth-protected-resource', undefined, 'HEAD')).status).toBe(200);
      expect(events).toEqual([]);
    });

    it('under a prefix, is refused by the plugin (the document belongs at the root), and served by resourceMetadataRoute() there', async () => {
      const server = createResourceServer(options({ resourceMetadata }));
      const wrong = fastify();
      wrong.register(async (api) => { await api.register(resourceServer, { server }); }, { prefix: '/api' });
      await expect(wrong.ready()).rejects.toThrow('register the plugin there with "metadataRoute: false"');

      const app = fastify();
      app.route(resourceMetadataRoute(server));
      app.register(async (api) => {
        await api.register(resourceServer, { server, metadataRoute: false });
        api.get('/me', who);
      }, { prefix: '/api' });
      expect((await call(app, '/.well-known/oauth-protected-resource')).status).toBe(200);
      const refused = await call(app, '/api/me');
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="api", resource_metadata="https://orders.acme.test/.well-known/oauth-protected-resource"');
    });
  });
});

// Type-level checks (npm run typecheck compiles this file): request.auth and config.auth are typed.
export function typed(app: FastifyInstance): void {
  app.get('/typed', { config: { auth: { roles: ['x'], roleOrg: (request) => request.hostname } } }, (request) => {
    const caller: Principal | undefined = request.auth;
    // @ts-expect-error request.auth may be undefined
    const subject: string = request.auth.subject;
    return { caller, subject };
  });
  // @ts-expect-error scopes are a list
  app.get('/string', { config: { auth: { scopes: 'a' } } }, () => ({}));
}
