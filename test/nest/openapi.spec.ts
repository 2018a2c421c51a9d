import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Public, RequireActiveToken, RequireRole, RequireScope, ResourceServerModule, applyResourceServerSecurity } from '../../lib/nest/index.js';

@Controller('orgs/:orgId/orders')
class OrdersController {
  @Get() @RequireScope('orders:read') @RequireRole('orders.read', { org: (req: { params: { orgId: string } }) => req.params.orgId }) list() { return []; }
  @Post() @RequireActiveToken() @RequireRole('orders.admin', 'orders.write') create() { return {}; }
  @Get('health') @Public() health() { return 'ok'; }
}

describe('applyResourceServerSecurity', () => {
  it("adds each route's scopes, roles and bearer scheme to the OpenAPI document", async () => {
    @Module({ imports: [ResourceServerModule.forRoot({ issuer: 'https://acme.zitadel.cloud', audience: 'p' })], controllers: [OrdersController] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    app.setGlobalPrefix('api');
    await app.init();
    try {
      const document: { paths: Record<string, Record<string, Record<string, unknown>>>; components?: { securitySchemes?: Record<string, unknown> } } = applyResourceServerSecurity(SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Orders').build()), app, { globalPrefix: 'api' }) as never;
      expect(document.components?.securitySchemes?.zitadel).toMatchObject({ type: 'http', scheme: 'bearer' });
      const list = document.paths['/api/orgs/{orgId}/orders']!.get!;
      expect(list.security).toEqual([{ zitadel: ['orders:read'] }]);
      expect(list['x-zitadel-roles']).toEqual([{ anyOf: ['orders.read'], organization: 'per-request' }]);
      expect(list.description).toContain('role orders.read in the organization of the resource');
      expect(Object.keys(list.responses as object)).toEqual(expect.arrayContaining(['401', '403']));
      const create = document.paths['/api/orgs/{orgId}/orders']!.post!;
      expect(create.security).toEqual([{ zitadel: [] }]);
      expect(create['x-zitadel-active-token']).toBe(true);
      expect(create.description).toContain('role orders.admin or orders.write');
      expect(document.paths['/api/orgs/{orgId}/orders/health']!.get!.security).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
