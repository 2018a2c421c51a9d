/**
 * Attack: DPoP `htu` on Nest's Express platform when the Nest app is mounted under a path
 * of an outer Express app (`outer.use('/v1', nestExpressApp)`, a common way to add Nest to
 * an existing server), and with a global prefix.
 *
 * The guard hands Express' request itself to the pipeline (`fastBearerRequest`), so the
 * proof is compared with `req.url`, from which Express stripped the mount path; the
 * previous version used `originalUrl` on the async path.
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { Caller, ResourceServerModule } from '../../../lib/nest/index.js';
import type { Principal } from '../../../lib/core/principal.js';
import { send } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

@Controller()
class MeController {
  @Get('me') me(@Caller() caller: Principal) {
    return { subject: caller.subject };
  }
}

/** The origin clients call the API at (`dpop.origins`): proofs name it, requests carry its Host. */
const ORIGIN = 'http://api.acme.test';

describe('DPoP proofs on Nest (Express platform) mounted in an outer Express app', () => {
  let issuer: TestIssuer;
  let nest: INestApplication;
  let outer: Server;
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
    @Module({
      imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', dpop: { origins: [ORIGIN] }, audit: false })],
      controllers: [MeController],
    })
    class AppModule {}
    const inner = express();
    nest = await NestFactory.create(AppModule, new ExpressAdapter(inner), { logger: false, abortOnError: false });
    await nest.init();
    const app = express();
    app.use('/v1', inner);
    outer = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => outer.once('listening', resolve));
    base = `http://127.0.0.1:${(outer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    outer.closeAllConnections();
    await new Promise<void>((resolve) => outer.close(() => resolve()));
    await nest.close();
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
    const response = await send(`${base}/v1/me`, { headers: [['host', new URL(ORIGIN).host], ['authorization', `DPoP ${token}`], ['dpop', await proof(`${ORIGIN}/v1/me`, token)]] });
    expect([response.status, response.headers['www-authenticate'] ?? null]).toEqual([200, null]);
  });

  it('refuses a proof made for another URL', async () => {
    const token = await issuer.mintJwt({ cnf: { jkt } });
    const response = await send(`${base}/v1/me`, { headers: [['host', new URL(ORIGIN).host], ['authorization', `DPoP ${token}`], ['dpop', await proof(`${ORIGIN}/me`, token)]] });
    expect(response.status).toBe(401);
  });
});
