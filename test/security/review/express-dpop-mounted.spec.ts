/**
 * Attack: DPoP `htu` checked against the wrong URL on a mounted Express router.
 *
 * The Express adapter now hands the request itself to the pipeline (`{ http: req }`), and
 * `check-binding.ts` builds the URL a proof must name from `request.url`. Under
 * `app.use('/api', protect(rs))` Express strips the mount path from `req.url` (it stays in
 * `req.originalUrl`, which the previous version passed). So the proof is checked against
 * `http://host/orders` for a request to `http://host/api/orders`:
 *  - a correct client's proof (htu = the URL it called) is refused, 401 invalid_dpop_proof;
 *  - a proof made for another URL (`/orders` at the root, a different resource) is accepted
 *    at `/api/orders` — RFC 9449 §4.3 (htu must match the request's URI) is not enforced.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import express4 from 'express4';
import type { Request, Response } from 'express';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { protect } from '../../../lib/express/index.js';
import { send } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

/** The origin clients call the API at (`dpop.origins`): proofs name it, requests carry its Host. */
const ORIGIN = 'http://api.acme.test';

describe.each([
  ['express 5', () => express()],
  ['express 4', () => (express4 as unknown as typeof express)()],
])('DPoP proofs under a mounted protect() on %s', (_name, makeApp) => {
  let issuer: TestIssuer;
  let server: ReturnType<express.Express['listen']>;
  let base: string;
  let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  let jkt: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey as Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
    jwk = await exportJWK(pair.publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', dpop: { origins: [ORIGIN] }, audit: false });
    const app = makeApp();
    app.use('/api', protect(rs));
    app.get('/api/orders', (req: Request, res: Response) => res.json({ subject: req.auth?.subject }));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await issuer.close();
  });

  async function proof(htu: string, token: string): Promise<string> {
    return new SignJWT({ htm: 'GET', htu, ath: createHash('sha256').update(token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(key);
  }

  it('accepts a proof for the URL the client called', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const response = await send(`${base}/api/orders`, { headers: [['host', new URL(ORIGIN).host], ['authorization', `DPoP ${token}`], ['dpop', await proof(`${ORIGIN}/api/orders`, token)]] });
    // Observed: 401 "The DPoP proof is for another URL".
    expect([response.status, response.headers['www-authenticate'] ?? null]).toEqual([200, null]);
  });

  it('refuses a proof made for another URL', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const response = await send(`${base}/api/orders`, { headers: [['host', new URL(ORIGIN).host], ['authorization', `DPoP ${token}`], ['dpop', await proof(`${ORIGIN}/orders`, token)]] });
    // Observed: 200 — the proof names http://host/orders, the request was for /api/orders.
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error_description="The DPoP proof is for another URL"');
  });
});
