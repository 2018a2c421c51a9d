/**
 * Attack: make the audit trail miss or misreport an Express decision by aborting the
 * request while the pipeline waits for I/O.
 *
 * Express `protect()` builds its route with `open: true`: an allow is not recorded when it
 * is decided but by a `res.on('close', settle)` listener registered in `conclude()`,
 * *after* the (async) decision resolves. If the client has already gone, `close` has
 * already fired, the listener never runs, and the handler still executes (Express does not
 * stop the chain for an aborted request): an allowed call with side effects and no event.
 *
 * Conversely, an `allow` pending while a later `require*()` waits for introspection is
 * recorded by the close listener when the client aborts, and the refusal that follows is
 * recorded too: two events for one request, the first one an `allow` for a request that
 * was refused (a revoked token on an active-token route).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { protect, requireActiveToken, requireRole } from '../../../lib/express/index.js';
import { sendAndAbort } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';
import { AuditRecorder } from '../../support/audit-sink.js';

describe('Express audit when the client aborts while the decision waits for I/O', () => {
  let issuer: TestIssuer;
  let server: ReturnType<express.Express['listen']>;
  let url: string;
  const audit = new AuditRecorder();
  const events = audit.events;
  const sideEffects: string[] = [];
  /** Resolved by the handlers when they run (see beforeEach). */
  let handlerRan: Promise<void>;
  let ran: () => void = () => undefined;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const rs = createResourceServer({
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      logger: { warn: () => undefined, error: () => undefined },
      audit: audit.sink,
    });
    const app = express();
    app.use(protect(rs));
    // A handler with a side effect that does not depend on the client still being there.
    app.post('/transfer', (req, res) => {
      sideEffects.push(`transfer by ${req.auth?.subject}`);
      ran();
      res.status(201).json({ ok: true });
    });
    app.post('/sensitive', requireActiveToken(), requireRole('orders.admin'), (req, res) => {
      sideEffects.push(`sensitive by ${req.auth?.subject}`);
      ran();
      res.json({ ok: true });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await issuer.close();
  });
  beforeEach(() => {
    events.length = 0;
    sideEffects.length = 0;
    issuer.setLatency(0);
    handlerRan = new Promise((resolve) => (ran = resolve));
  });

  it('an allowed request whose client left during introspection runs the handler and is audited once', async () => {
    const token = issuer.mintOpaque({ sub: 'attacker-opaque' });
    issuer.setLatency(300);
    await sendAndAbort(`${url}/transfer`, token, 80);
    await handlerRan;
    await audit.waitFor(1);
    // The handler ran with the attacker's principal ...
    expect(sideEffects).toEqual(['transfer by attacker-opaque']);
    // ... so its decision must be in the audit trail. Observed: no event at all.
    expect(events.map((e) => [e.decision, e.subject])).toEqual([['allow', 'attacker-opaque']]);
    // And it names the caller's address: the socket was gone when the event was built, and
    // a destroyed socket no longer tells its peer (observed: ip undefined).
    expect(events[0]!.ip).toBe('127.0.0.1');
  });

  it('the same with a first-seen JWT while the JWKS is slow', async () => {
    // A fresh issuer-side latency makes the JWKS fetch slow (first JWT for a fresh rs).
    const rs = createResourceServer({
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      logger: { warn: () => undefined, error: () => undefined },
      audit: audit.sink,
    });
    const app = express();
    app.use(protect(rs));
    app.post('/transfer', (req, res) => {
      sideEffects.push(`transfer by ${req.auth?.subject}`);
      ran();
      res.status(201).json({ ok: true });
    });
    const local = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => local.once('listening', resolve));
    try {
      const token = await issuer.mintJwt({ sub: 'attacker-jwt' });
      issuer.setLatency(300);
      await sendAndAbort(`http://127.0.0.1:${(local.address() as AddressInfo).port}/transfer`, token, 80);
      await handlerRan;
      await audit.waitFor(1);
      expect(sideEffects).toEqual(['transfer by attacker-jwt']);
      expect(events.map((e) => [e.decision, e.subject])).toEqual([['allow', 'attacker-jwt']]);
    } finally {
      local.closeAllConnections();
      await new Promise<void>((resolve) => local.close(() => resolve()));
    }
  });

  it('a refused request (revoked token on an active-token route) is never audited as allowed', async () => {
    const token = await issuer.mintJwt({ sub: 'revoked-admin', ...issuer.roleClaims(['orders.admin']) });
    // Warm the verified-JWT cache: protect() is then synchronous, only the active-token
    // introspection of requireActiveToken() waits for I/O.
    const warm = await fetch(`${url}/transfer`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(warm.status).toBe(201);
    await audit.waitFor(1);
    events.length = 0;
    sideEffects.length = 0;
    issuer.revoke(token);
    issuer.setLatency(300);
    await sendAndAbort(`${url}/sensitive`, token, 80);
    // The first event (and whatever comes with it): an 'allow' here is the bug.
    await audit.waitFor(1);
    expect(sideEffects).toEqual([]);
    // One request, one decision: a deny. Observed: an 'allow' (recorded when the client
    // left) followed by the 'deny' (ERR_TOKEN_INACTIVE).
    expect(events.map((e) => [e.decision, e.reason ?? null])).toEqual([['deny', 'ERR_TOKEN_INACTIVE']]);
    expect(events[0]!.ip).toBe('127.0.0.1');
  });
});
