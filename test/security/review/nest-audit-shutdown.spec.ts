/**
 * Attack on a71b516 (jsonLinesAuditSink writes a batch at most every `maxDelayMs`, default
 * 10 ms, on an unref'd timer, instead of on the next turn of the event loop). The buffer is
 * written "before the process exits" by `beforeExit` / `exit` listeners, but a Nest app with
 * `app.enableShutdownHooks()` (the usual setup in a container) ends on SIGTERM by running its
 * shutdown hooks (`app.close()`) and then re-raising the signal (`process.kill(process.pid,
 * signal)`, @nestjs/core NestApplicationContext.listenToShutdownSignals): the process dies by
 * the signal, neither listener runs, and the decisions of the last `maxDelayMs` before that
 * are never written. With 2bd4abc they were: `app.close()` takes at least one turn of the
 * event loop, and the batch was written on the next one.
 *
 * Reproduced in a child process (built package): an event, then SIGTERM handled Nest's way
 * (two turns, then the signal re-raised): 2bd4abc prints the line, this version prints
 * nothing. Here, in process: after `app.close()` (everything Nest runs before it re-raises
 * the signal) the events must have been written, whatever `maxDelayMs` is. Not fixed here
 * (e.g. ResourceServerModule could flush a sink that has `flush()` in onApplicationShutdown).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AuditEvent } from '../../../lib/core/audit.js';
import { jsonLinesAuditSink } from '../../../lib/core/audit.js';
import { Caller, ResourceServerModule } from '../../../lib/nest/index.js';
import type { Principal } from '../../../lib/core/principal.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { get } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

@Controller('me')
class MeController {
  @Get() me(@Caller() caller: Principal): { subject: string } {
    return { subject: caller.subject };
  }
}

describe('jsonLinesAuditSink in a Nest app that shuts down', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('the decisions made before app.close() are written by the time it resolves', async () => {
    const writes: string[] = [];
    // A long delay makes the window certain; the default 10 ms only makes it short.
    const audit = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) }, { maxDelayMs: 1000 });
    @Module({
      imports: [ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit })],
      controllers: [MeController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/me`;
    const token = await issuer.mintJwt({ sub: 'last-caller' });
    expect((await get(url, token)).status).toBe(200);
    expect((await get(url)).status).toBe(401);
    await app.close();
    const lines = writes.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEvent);
    // Observed: [] (both events still buffered; a re-raised SIGTERM would drop them).
    expect(lines.map((event) => [event.decision, event.subject ?? null])).toEqual([
      ['allow', 'last-caller'],
      ['deny', null],
    ]);
    audit.flush();
  });
});
