/**
 * Attack on d37c8b0 (the Fastify adapter's request view now has `originalUrl`, which DPoP's
 * `htu` check prefers to `url`). Under Fastify's `rewriteUrl` the client calls one URL and
 * the router sees another (`request.raw.url` is rewritten, `request.originalUrl` keeps what
 * was sent). RFC 9449 §4.3: `htu` is the URI of the request as sent. This version holds:
 * the proof for the URL called is accepted, one for the rewritten URL (another resource) is
 * refused. 2bd4abc checked the rewritten URL and did the opposite on both counts.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { resourceServer } from '../../../lib/fastify/index.js';
import { send } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

/** The origin clients call the API at (`dpop.origins`): proofs name it, requests carry its Host. */
const ORIGIN = 'http://api.acme.test';

describe('DPoP proofs on Fastify with rewriteUrl', () => {
  let issuer: TestIssuer;
  let app: FastifyInstance;
  let base: string;
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  let jkt: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', dpop: { origins: [ORIGIN] }, audit: false });
    // /v1/orders is served by the /orders route.
    app = Fastify({ rewriteUrl: (req) => (req.url!.startsWith('/v1/') ? req.url!.slice(3) : req.url!) });
    await app.register(resourceServer, { server: rs });
    app.get('/orders', (request: FastifyRequest) => ({ subject: request.auth?.subject ?? null }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  async function call(htu: string): Promise<number> {
    const token = await issuer.mintJwt({ sub: 'svc-dpop', cnf: { jkt } });
    const proof = await new SignJWT({ htm: 'GET', htu, ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(key);
    const response = await send(`${base}/v1/orders`, { headers: [['host', new URL(ORIGIN).host], ['authorization', `DPoP ${token}`], ['dpop', proof]] });
    return response.status;
  }

  it('accepts a proof for the URL the client called', async () => {
    expect(await call(`${ORIGIN}/v1/orders`)).toBe(200);
  });

  it('refuses a proof for the URL the router sees after the rewrite', async () => {
    expect(await call(`${ORIGIN}/orders`)).toBe(401);
  });
});
