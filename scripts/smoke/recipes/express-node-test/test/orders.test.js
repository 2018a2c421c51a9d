import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { createTestIssuer } from 'zitadel-resource-server/testing';
import { createApp } from '../src/app.js';

let issuer;
let server;
let url;

before(async () => {
  issuer = await createTestIssuer(); // discovery, JWKS and introspection on 127.0.0.1
  server = createApp({ issuer: issuer.issuer, projectId: issuer.projectId }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  server.close();
  await issuer.close();
});

test('GET /orders with the role: 200 and the caller', async () => {
  const token = await issuer.mintJwt({ sub: 'svc-1', ...issuer.roleClaims(['orders.read']) });
  const response = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { orders: ['order-1'], caller: 'svc-1' });
});

test('GET /orders without the role: 403 insufficient_scope', async () => {
  const token = await issuer.mintJwt({ sub: 'svc-2' });
  const response = await fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 403);
  assert.match(response.headers.get('www-authenticate'), /error="insufficient_scope"/);
});

test('GET /orders without a token: 401', async () => {
  const response = await fetch(`${url}/orders`);
  assert.equal(response.status, 401);
});
