/**
 * Attack: break or forge an audit log line with characters `JSON.stringify` leaves raw. A
 * caller controls `x-request-id` and the path; Node's parser refuses C0 controls and DEL in
 * a header, but passes the bytes 0x80-0xff through as latin1 characters: U+0085 (NEL, a
 * line break to Unicode-aware readers) and U+009B (an 8-bit CSI some terminals obey). Through
 * Nest's ConsoleLogger (the module's default sink) and the JSON-lines sink (Express'
 * default) they must come out escaped, and the line must parse back to the event.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ConsoleLogger, Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { jsonLinesAuditSink } from '../../../lib/core/audit.js';
import { protect } from '../../../lib/express/index.js';
import { ResourceServerModule } from '../../../lib/nest/index.js';
import { consoleLoggerJson, silencedStdout } from '../../support/log-capture.js';
import { testKeys } from '../../support/test-keys.js';

const UNSAFE = /[\u007f-\u009f\u2028\u2029]/;
const REQUEST_ID = 'a\u0085[Nest] 1 - FORGED LOG [ResourceServerAudit] {"decision":"allow"}\u009b31m';

/** One GET with the request id as raw latin1 bytes (what a hostile client sends); resolves with the status line. */
function rawGet(port: number, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => resolve(answer.split('\r\n', 1)[0]!));
    socket.on('error', reject);
    socket.write(Buffer.from(`GET /orders HTTP/1.1\r\nHost: a\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\nx-request-id: ${REQUEST_ID}\r\n\r\n`, 'latin1'));
  });
}

@Controller('orders')
class OrdersController {
  @Get() list() {
    return { ok: true };
  }
}

describe('audit lines with control characters from the caller', () => {
  let issuer: TestIssuer;
  let token: string;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
  });
  afterAll(() => issuer.close());

  it('Express, JSON-lines sink: one line, escaped, parsing back to the request id sent', async () => {
    const written: string[] = [];
    const audit = jsonLinesAuditSink({ write: (chunk: string) => written.push(chunk) }, { maxDelayMs: 0 });
    const app = express();
    app.get('/orders', protect({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit }), (_req, res) => res.json({ ok: true }));
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      expect(await rawGet((server.address() as AddressInfo).port, token)).toBe('HTTP/1.1 200 OK');
      await new Promise((resolve) => setTimeout(resolve, 50));
      audit.flush();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(UNSAFE.test(lines[0]!)).toBe(false);
    expect(JSON.parse(lines[0]!)).toMatchObject({ decision: 'allow', requestId: REQUEST_ID });
  });

  it("Nest, the module's default sink through ConsoleLogger: one line, escaped, parsing back", async () => {
    @Module({ imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', policy: 'implicit' })], controllers: [OrdersController] })
    class AppModule {}
    const written = await silencedStdout(async () => {
      const app = await NestFactory.create(AppModule, { logger: new ConsoleLogger({ colors: false }), abortOnError: false });
      await app.listen(0, '127.0.0.1');
      try {
        expect(await rawGet((app.getHttpServer().address() as AddressInfo).port, token)).toBe('HTTP/1.1 200 OK');
      } finally {
        await app.close();
      }
    });
    const audit = written.filter((line) => line.includes('[ResourceServerAudit] '));
    expect(audit).toHaveLength(1);
    const line = audit[0]!.trimEnd();
    expect(UNSAFE.test(line)).toBe(false);
    expect(line.includes('\n')).toBe(false);
    expect(consoleLoggerJson(line, 'ResourceServerAudit')).toMatchObject({ decision: 'allow', requestId: REQUEST_ID });
  });
});
