/**
 * Regressions of the Nest route policy (issue 12), over HTTP on Nest+Express and
 * Nest+Fastify: a handler inherited from a base controller is one function in every
 * subclass, so a route's policy must be keyed by controller class and handler — in any
 * order of first requests, through two levels of inheritance — and the route policy report
 * must say exactly what the guard enforces. `@Public()` on a controller does not drop the
 * requirements of its methods.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { Caller, Public, RequireRole, RequireScope, ResourceServerModule, RoutePolicyInspector } from '../../lib/nest/index.js';
import type { Principal } from '../../lib/core/principal.js';
import { get } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

class CrudController {
  @Get() list(@Caller() caller?: Principal) {
    return { subject: caller?.subject ?? null };
  }
}

@Controller('open') @Public()
class OpenCrud extends CrudController {}

@Controller('admin') @RequireRole('admin')
class AdminCrud extends CrudController {}

// Two levels: the leaf inherits the handler from CrudController and the role from AdminBase.
@RequireRole('admin')
class AdminBase extends CrudController {}
@Controller('audited') @RequireScope('audit:read')
class AuditedAdmin extends AdminBase {}

// A public controller whose method has requirements of its own: that method stays protected.
@Controller('catalog') @Public()
class CatalogController {
  @Get() browse(@Caller() caller?: Principal) {
    return { subject: caller?.subject ?? null };
  }
  @Get('edit') @RequireRole('catalog.editor') edit(@Caller() caller: Principal) {
    return { subject: caller.subject };
  }
}

const PLATFORMS = [
  ['nest-express', () => new ExpressAdapter()],
  ['nest-fastify', () => new FastifyAdapter()],
] as const;

describe.each(PLATFORMS)('Nest route policy on %s', (_name, adapter) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  async function start(): Promise<void> {
    @Module({
      imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: false })],
      controllers: [OpenCrud, AdminCrud, AuditedAdmin, CatalogController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, adapter(), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(async () => {
    await issuer.close();
  });
  beforeEach(start);
  afterEach(async () => {
    await app.close();
  });

  it('keeps an inherited handler public on the public subclass and restricted on the restricted one (public first)', async () => {
    expect((await get(`${url}/open`)).status).toBe(200);
    expect((await get(`${url}/admin`)).status).toBe(401);
    expect((await get(`${url}/admin`, await issuer.mintJwt(issuer.roleClaims(['orders.read'])))).status).toBe(403);
    expect((await get(`${url}/admin`, await issuer.mintJwt(issuer.roleClaims(['admin'])))).status).toBe(200);
  });

  it('keeps them apart when the restricted route is asked first', async () => {
    expect((await get(`${url}/admin`, await issuer.mintJwt(issuer.roleClaims(['admin'])))).status).toBe(200);
    expect((await get(`${url}/admin`)).status).toBe(401);
    const open = await get(`${url}/open`);
    expect([open.status, open.body]).toEqual([200, { subject: null }]);
  });

  it('applies the requirements of every base class (two levels of inheritance)', async () => {
    expect((await get(`${url}/open`)).status).toBe(200);
    expect((await get(`${url}/audited`)).status).toBe(401);
    expect((await get(`${url}/audited`, await issuer.mintJwt({ scope: 'audit:read' }))).status).toBe(403);
    expect((await get(`${url}/audited`, await issuer.mintJwt({ scope: 'openid', ...issuer.roleClaims(['admin']) }))).status).toBe(403);
    expect((await get(`${url}/audited`, await issuer.mintJwt({ scope: 'audit:read', ...issuer.roleClaims(['admin']) }))).status).toBe(200);
  });

  it('protects a method with requirements on a @Public() controller; its other methods stay public', async () => {
    expect((await get(`${url}/catalog`)).status).toBe(200);
    expect((await get(`${url}/catalog/edit`)).status).toBe(401);
    expect((await get(`${url}/catalog/edit`, await issuer.mintJwt())).status).toBe(403);
    expect((await get(`${url}/catalog/edit`, await issuer.mintJwt(issuer.roleClaims(['catalog.editor'])))).status).toBe(200);
  });

  it('reports exactly what it enforces', async () => {
    const report = app.get(RoutePolicyInspector).report();
    const row = (controller: string, handler: string) => report.find((r) => r.controller === controller && r.handler === handler);
    expect(row('OpenCrud', 'list')).toMatchObject({ path: '/open', access: 'public' });
    expect(row('AdminCrud', 'list')).toMatchObject({ path: '/admin', access: 'restricted', roles: [{ anyOf: ['admin'], organization: 'any' }] });
    expect(row('AuditedAdmin', 'list')).toMatchObject({ path: '/audited', access: 'restricted', scopes: ['audit:read'], roles: [{ anyOf: ['admin'] }] });
    expect(row('CatalogController', 'browse')).toMatchObject({ access: 'public' });
    expect(row('CatalogController', 'edit')).toMatchObject({ access: 'restricted', roles: [{ anyOf: ['catalog.editor'] }] });
  });
});

describe('contradicting decorators', () => {
  it.each([
    ['a method', () => {
      @Controller('x')
      class Contradiction {
        @Get() @Public() @RequireRole('admin') both() {}
      }
      return Contradiction;
    }, 'Contradiction.both has both @Public() and requirements'],
    ['a controller', () => {
      @Controller('y') @Public() @RequireRole('admin')
      class ContradictingController {
        @Get() list() {}
      }
      return ContradictingController;
    }, 'ContradictingController has both @Public() and requirements'],
  ])('refuse to start when @Public() and a requirement sit on %s', async (_what, controller, message) => {
    const issuer = await createTestIssuer({ keys: await testKeys() });
    try {
      @Module({ imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', audit: false })], controllers: [controller()] })
      class AppModule {}
      const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
      await expect(app.init()).rejects.toThrow(message);
      await app.close().catch(() => undefined);
    } finally {
      await issuer.close();
    }
  });
});
