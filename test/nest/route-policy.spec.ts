import 'reflect-metadata';
import { Controller, Delete, Get, Module, Post } from '@nestjs/common';
import { Mutation, Query, Resolver } from '@nestjs/graphql';
import { MessagePattern } from '@nestjs/microservices';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { NestFactory } from '@nestjs/core';
import {
  Authenticated,
  Public,
  RequireActiveToken,
  RequireAnyScope,
  RequireRole,
  RequireScope,
  ResourceServerModule,
  RoutePolicyInspector,
} from '../../lib/nest/index.js';
import type { ResourceServerModuleOptions } from '../../lib/nest/index.js';

const base = { issuer: 'https://acme.zitadel.cloud', audience: 'p1', projectId: 'p1' };

@Controller('orgs/:orgId/orders')
@RequireRole('orders.read', { org: (req: { params: { orgId: string } }) => req.params.orgId })
class OrdersController {
  @Get() list() {}
  @Post() @RequireRole('orders.write', { org: 'own' }) create() {}
  @Delete(':id') @RequireActiveToken() @RequireRole('orders.admin') remove() {}
}

@Controller()
class MiscController {
  @Get('health') @Public() health() {}
  @Get('me') @Authenticated() me() {}
  @Get('reports') @RequireScope('reports:read') @RequireAnyScope('a', 'b') reports() {}
}

@Controller('legacy')
class LegacyController {
  @Get() undecorated() {}
  @Post('import') alsoUndecorated() {}
}

@Controller()
class OrderEvents {
  @MessagePattern('orders.created') @RequireRole('orders.read') created() {}
  @MessagePattern({ cmd: 'orders.purge' }) purge() {}
}

@Resolver()
class OrdersResolver {
  @Query(() => String) @RequireScope('orders:read') order() { return ''; }
  @Mutation(() => String) @Public() ping() { return 'pong'; }
}

@WebSocketGateway()
class OrdersGateway {
  @SubscribeMessage('orders.watch') @RequireRole('orders.read') watch() {}
  @SubscribeMessage('orders.anything') anything() {}
}

async function create(options: ResourceServerModuleOptions, controllers: (new () => unknown)[], providers: (new () => unknown)[] = []) {
  @Module({ imports: [ResourceServerModule.forRoot(options)], controllers, providers })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  return app;
}

describe('route policy report and strict mode', () => {
  it('reports every route with its effective policy', async () => {
    const app = await create(base, [OrdersController, MiscController, LegacyController]);
    try {
      const report = app.get(RoutePolicyInspector).report();
      const byRoute = Object.fromEntries(report.map((r) => [`${r.method} ${r.path}`, r]));
      expect(Object.keys(byRoute).sort()).toEqual([
        'DELETE /orgs/:orgId/orders/:id', 'GET /health', 'GET /legacy', 'GET /me', 'GET /orgs/:orgId/orders', 'GET /reports',
        'POST /legacy/import', 'POST /orgs/:orgId/orders',
      ]);
      expect(byRoute['GET /health']).toMatchObject({ access: 'public', explicit: true });
      expect(byRoute['GET /me']).toMatchObject({ access: 'authenticated', explicit: true });
      expect(byRoute['GET /legacy']).toMatchObject({ access: 'authenticated', explicit: false });
      expect(byRoute['GET /orgs/:orgId/orders']).toMatchObject({ access: 'restricted', roles: [{ anyOf: ['orders.read'], organization: 'per-request' }] });
      expect(byRoute['POST /orgs/:orgId/orders']!.roles).toEqual([
        { anyOf: ['orders.read'], organization: 'per-request' },
        { anyOf: ['orders.write'], organization: 'own' },
      ]);
      expect(byRoute['DELETE /orgs/:orgId/orders/:id']).toMatchObject({ activeToken: true, controller: 'OrdersController', handler: 'remove' });
      expect(byRoute['GET /reports']).toMatchObject({ scopes: ['reports:read'], anyScopes: [['a', 'b']] });
    } finally {
      await app.close();
    }
  });

  it("refuses to start with policy: 'explicit' while a route has no explicit requirement, naming each", async () => {
    const failure = create({ ...base, policy: 'explicit' }, [OrdersController, MiscController, LegacyController]);
    await expect(failure).rejects.toThrow(/GET \/legacy \(LegacyController\.undecorated\)/);
    await expect(create({ ...base, policy: 'explicit' }, [LegacyController])).rejects.toThrow(/POST \/legacy\/import \(LegacyController\.alsoUndecorated\)/);
  });

  it('reports message handlers, GraphQL operations and gateway events, and strict mode covers them', async () => {
    const app = await create(base, [OrderEvents], [OrdersResolver, OrdersGateway]);
    try {
      const report = app.get(RoutePolicyInspector).report();
      const byRoute = Object.fromEntries(report.map((r) => [`${r.kind} ${r.method} ${r.path}`, r]));
      expect(Object.keys(byRoute).sort()).toEqual([
        'graphql Mutation ping', 'graphql Query order', 'rpc RPC orders.created', 'rpc RPC {"cmd":"orders.purge"}',
        'ws WS orders.anything', 'ws WS orders.watch',
      ]);
      expect(byRoute['rpc RPC orders.created']).toMatchObject({ access: 'restricted', roles: [{ anyOf: ['orders.read'], organization: 'any' }] });
      expect(byRoute['graphql Query order']).toMatchObject({ scopes: ['orders:read'], explicit: true });
      expect(byRoute['graphql Mutation ping']).toMatchObject({ access: 'public' });
      expect(byRoute['ws WS orders.anything']).toMatchObject({ access: 'authenticated', explicit: false });
    } finally {
      await app.close();
    }
    await expect(create({ ...base, policy: 'explicit' }, [OrderEvents], [OrdersResolver, OrdersGateway])).rejects.toThrow(
      /RPC \{"cmd":"orders.purge"\} \(OrderEvents.purge\)[\s\S]*WS orders.anything \(OrdersGateway.anything\)/,
    );
  });

  it("starts with policy: 'explicit' when every route says who may call it", async () => {
    const app = await create({ ...base, policy: 'explicit' }, [OrdersController, MiscController]);
    await app.close();
  });
});
