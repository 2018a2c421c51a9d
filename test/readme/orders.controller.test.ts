import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Principal } from 'zitadel-resource-server';
import { Caller, RequireRole, ResourceServerModule } from 'zitadel-resource-server/nest';
import { createTestIssuer } from 'zitadel-resource-server/testing';
import type { TestIssuer } from 'zitadel-resource-server/testing';

@Controller('orders')
class OrdersController {
  @Get()
  @RequireRole('orders.read')
  list(@Caller() caller: Principal) {
    return { orders: [], caller: caller.subject };
  }
}

describe('OrdersController', () => {
  let issuer: TestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await createTestIssuer(); // discovery, JWKS and introspection on 127.0.0.1

    @Module({
      imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project' })],
      controllers: [OrdersController],
    })
    class TestModule {}

    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('lets a service user with the role read orders', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body.caller).toBe('svc-1');
  });

  it('refuses a caller without the role', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-2' });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('refuses an expired token', async () => {
    const token = await issuer.mintJwt({}, { expiresIn: -60 });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
  });
});
