/**
 * Issue 17: an audit that costs little and can be scoped. The default JSON-lines sink
 * writes one batch per turn of the event loop (one JSON line per event, in order, bounded,
 * flushed before exit); a route can drop its allow events (`auditAllowed`), never its
 * refusals or 503s. Injected fetch and clock.
 */
import type { AuditEvent } from '../../../lib/core/audit.js';
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { auditEvent, isoTime, jsonLinesAuditSink } from '../../../lib/core/audit.js';
import { createRoute } from '../../../lib/core/pipeline/route.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { protect } from '../../../lib/express/index.js';
import { ISSUER, PROJECT, clock, createFakeIssuer, silent } from '../support/fake-issuer.js';

function event(path: string): AuditEvent {
  return auditEvent({ route: { method: 'GET', template: undefined, path }, requestId: path, ip: undefined, startedAt: performance.now() }, {}, Date.now);
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('jsonLinesAuditSink', () => {
  it('writes the events of one turn of the event loop in one write, one JSON line each, in order (maxDelayMs: 0)', async () => {
    const writes: string[] = [];
    const sink = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) }, { maxDelayMs: 0 });
    sink(event('/a'));
    sink(event('/b'));
    sink(event('/c'));
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = writes[0]!.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => (JSON.parse(line) as AuditEvent).route.path)).toEqual(['/a', '/b', '/c']);
    sink(event('/d'));
    await nextTurn();
    expect(writes).toHaveLength(2);
    expect((JSON.parse(writes[1]!) as AuditEvent).route.path).toBe('/d');
  });

  it('by default writes at most one batch per 10 ms: events of several turns of the event loop in one write', async () => {
    jest.useFakeTimers({ doNotFake: ['performance', 'queueMicrotask', 'nextTick'] });
    try {
      const writes: string[] = [];
      const sink = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) });
      sink(event('/a'));
      jest.advanceTimersByTime(5);
      sink(event('/b'));
      jest.advanceTimersByTime(4);
      expect(writes).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(writes.map((chunk) => chunk.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as AuditEvent).route.path))).toEqual([['/a', '/b']]);
      sink(event('/c'));
      jest.advanceTimersByTime(10);
      expect(writes).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
    expect(() => jsonLinesAuditSink(process.stdout, { maxDelayMs: -1 })).toThrow('"maxDelayMs" option of jsonLinesAuditSink() must be an integer from 0 to 1000');
    expect(() => jsonLinesAuditSink(process.stdout, { maxDelayMs: 1.5 })).toThrow('"maxDelayMs" option');
  });

  it('a pending batch does not keep the process alive (it is written at exit, see below)', () => {
    const timers = jest.spyOn(globalThis, 'setTimeout');
    try {
      const writes: string[] = [];
      const sink = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) }, { maxDelayMs: 1000 });
      sink(event('/pending'));
      const timer = timers.mock.results.at(-1)?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      sink.flush();
      expect(writes).toHaveLength(1);
    } finally {
      timers.mockRestore();
    }
  });

  it('isoTime() is toISOString() of the same instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000 + 1, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 2000 }), (ms, step) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
        expect(isoTime(ms + step)).toBe(new Date(ms + step).toISOString());
      }),
      { numRuns: 2000 },
    );
    expect(isoTime(8.64e15)).toBe(new Date(8.64e15).toISOString());
    expect(isoTime(1_764_650_000_123.75)).toBe(new Date(1_764_650_000_123.75).toISOString());
  });

  it('holds at most maxBuffered events: a full buffer is written at once, nothing is dropped', async () => {
    const writes: string[] = [];
    const sink = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) }, { maxBuffered: 2, maxDelayMs: 0 });
    for (const path of ['/1', '/2', '/3', '/4', '/5']) sink(event(path));
    expect(writes.map((chunk) => chunk.split('\n').length - 1)).toEqual([2, 2]);
    sink.flush();
    expect(writes.map((chunk) => chunk.split('\n').length - 1)).toEqual([2, 2, 1]);
    await nextTurn();
    expect(writes).toHaveLength(3);
    expect(() => jsonLinesAuditSink(process.stdout, { maxBuffered: 0 })).toThrow('"maxBuffered" option of jsonLinesAuditSink() must be an integer from 1 to 100000');
  });

  it('writes what is buffered when the process is about to exit', () => {
    const writes: string[] = [];
    const sink = jsonLinesAuditSink({ write: (chunk) => writes.push(chunk) });
    sink(event('/last'));
    process.emit('beforeExit', 0);
    expect(writes).toHaveLength(1);
    expect((JSON.parse(writes[0]!) as AuditEvent).route.path).toBe('/last');
  });

  it('a stream that throws in the scheduled write does not become an uncaught exception', async () => {
    const sink = jsonLinesAuditSink(
      {
        write: () => {
          throw new Error('closed');
        },
      },
      { maxDelayMs: 0 },
    );
    sink(event('/x'));
    await nextTurn();
  });
});

describe('auditAllowed per route', () => {
  async function setup(auditAllowed?: boolean | number) {
    const time = clock();
    const issuer = await createFakeIssuer({ now: time.now });
    const events: AuditEvent[] = [];
    const rs = createResourceServer({
      issuer: ISSUER,
      audience: PROJECT,
      jwksUri: `${ISSUER}/oauth/v2/keys`,
      logger: silent,
      fetch: issuer.fetch,
      now: time.now,
      audit: (e) => events.push(e),
      ...(auditAllowed === undefined ? {} : { auditAllowed }),
    });
    return { rs, issuer, events };
  }

  it('auditAllowed: false drops allow events only; refusals and 503s are always recorded', async () => {
    const { rs, issuer, events } = await setup();
    const quiet = createRoute({ auditAllowed: false });
    const http = { headers: { authorization: `Bearer ${await issuer.mintJwt()}` } };
    expect((await rs.decide({ http }, quiet)).outcome).toBe('allow');
    expect(events).toHaveLength(0);
    expect((await rs.decide({ http: { headers: {} } }, quiet)).outcome).toBe('refuse');
    expect(events.map((e) => [e.decision, e.reason])).toEqual([['deny', 'ERR_TOKEN_MISSING']]);
    // A public route's anonymous pass is an allow event too: dropped.
    expect((await rs.decide({ http: { headers: {} } }, createRoute({ optional: true, auditAllowed: false }))).outcome).toBe('anonymous');
    expect(events).toHaveLength(1);
    const down = await setup();
    down.issuer.jwks = () => ({ status: 500 });
    const refused = await down.rs.decide({ http: { headers: { authorization: `Bearer ${await down.issuer.mintJwt()}` } } }, quiet);
    expect(refused.outcome === 'refuse' && refused.response.status).toBe(503);
    expect(down.events.map((e) => [e.decision, e.status])).toEqual([['unavailable', 503]]);
    // Other routes are not affected.
    expect((await rs.decide({ http })).outcome).toBe('allow');
    expect(events.at(-1)!.decision).toBe('allow');
  });

  it('auditAllowed: true on a route emits its allow events when the option drops them', async () => {
    const { rs, issuer, events } = await setup(false);
    const http = { headers: { authorization: `Bearer ${await issuer.mintJwt()}` } };
    await rs.decide({ http });
    expect(events).toHaveLength(0);
    await rs.decide({ http }, createRoute({ auditAllowed: true }));
    expect(events.map((e) => e.decision)).toEqual(['allow']);
    expect(() => createRoute({ auditAllowed: 'no' as never })).toThrow('a route\'s "auditAllowed" must be true or false');
  });

  it('Express: protect(rs, { auditAllowed: false }) on a probe route audits its refusals only (real HTTP)', async () => {
    const { rs, issuer, events } = await setup();
    expect(() => protect(rs, { auditAllowed: 0 as never })).toThrow('"auditAllowed" option of protect() must be true or false');
    const app = express();
    app.get('/healthz', protect(rs, { auditAllowed: false }), (_req, res) => {
      res.send('ok');
    });
    app.get('/orders', protect(rs), (_req, res) => {
      res.send('orders');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const authorization = `Bearer ${await issuer.mintJwt()}`;
      const probe = await fetch(`${url}/healthz`, { headers: { authorization } });
      expect([probe.status, await probe.text()]).toEqual([200, 'ok']);
      expect((await fetch(`${url}/healthz`)).status).toBe(401);
      const orders = await fetch(`${url}/orders`, { headers: { authorization } });
      expect([orders.status, await orders.text()]).toEqual([200, 'orders']);
      // Allow events are recorded when the response closes: wait for that, a bounded number of turns.
      for (let turn = 0; turn < 1000 && events.length < 2; turn += 1) await nextTurn();
      expect(events.map((e) => [e.route.path, e.decision])).toEqual([
        ['/healthz', 'deny'],
        ['/orders', 'allow'],
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
