import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { App } from 'supertest/types';
import { createTestIssuer } from 'zitadel-resource-server/testing';
import type { TestIssuer } from 'zitadel-resource-server/testing';
import { AppModule } from './../src/app.module';

describe('AppController (e2e)', () => {
  let issuer: TestIssuer;
  let app: INestApplication<App>;
  // Nest's testing logger drops log-level messages: keep the audit events to check them.
  const audit: unknown[] = [];
  const logger: LoggerService = {
    log: (message: unknown, context?: unknown) => {
      if (context === 'ResourceServerAudit') audit.push(message);
    },
    warn: (message: unknown) => console.warn(message),
    error: (message: unknown) => console.error(message),
  };

  beforeAll(async () => {
    issuer = await createTestIssuer(); // discovery, JWKS and introspection on 127.0.0.1
    process.env.ZITADEL_ISSUER = issuer.issuer;
    process.env.ZITADEL_PROJECT_ID = issuer.projectId;

    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    })
      .setLogger(logger)
      .compile();

    app = moduleFixture.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('GET /orders with the role: 200 and the caller', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ orders: ['order-1'], caller: 'svc-1' });
  });

  it('GET /orders without the role: 403 insufficient_scope', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-2' });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('GET /orders without a token: 401', async () => {
    const response = await request(app.getHttpServer()).get('/orders');
    expect(response.status).toBe(401);
  });

  it('audits each decision as an object with its fields', async () => {
    const token = await issuer.mintJwt({ sub: 'svc-3' });
    await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`).expect(403);
    expect(audit).toContainEqual(
      expect.objectContaining({ decision: 'deny', reason: 'ERR_ROLE_INSUFFICIENT', status: 403, subject: 'svc-3' }),
    );
  });
});
