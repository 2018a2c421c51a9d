import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createResourceServer } from 'zitadel-resource-server';
import { createTestIssuer } from 'zitadel-resource-server/testing';
import type { TestIssuer } from 'zitadel-resource-server/testing';
import { send } from '../support/send.js';
import { buildApp } from './fastify-app.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README Fastify example', () => {
  let issuer: TestIssuer;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    const rs = createResourceServer({
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      audit: false,
    });
    app = await buildApp(rs);
    app.log.level = 'silent';
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  const call = (method: string, path: string, token?: string) =>
    send(`${base}${path}`, { method, headers: token === undefined ? [] : [['authorization', `Bearer ${token}`]] });

  it('is in the README exactly as it runs here', () => {
    const example = readFileSync(new URL('./fastify-app.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('answers as the README says', async () => {
    const reader = await issuer.mintJwt({ sub: 'reader', ...issuer.roleClaims(['orders.read']) });
    const admin = await issuer.mintJwt({ sub: 'admin', ...issuer.roleClaims(['orders.admin']) });
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/status')).body).toEqual({ caller: null });
    expect((await call('GET', '/status', reader)).body).toEqual({ caller: 'reader' });
    expect((await call('GET', '/orders')).status).toBe(401);
    expect((await call('GET', '/orders', reader)).body).toEqual({ orders: [], caller: 'reader' });
    expect((await call('GET', '/orders', admin)).status).toBe(403);
    expect((await call('DELETE', '/orders/1', reader)).status).toBe(403);
    expect((await call('DELETE', '/orders/1', admin)).status).toBe(204);
  });
});
