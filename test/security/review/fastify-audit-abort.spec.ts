/**
 * Attack: make the audit trail miss a Fastify decision, or lose the caller's address, by
 * aborting the request while the pipeline waits for I/O (the Express twin is
 * express-audit-abort.spec.ts).
 *
 * The plugin's route is open: an allow is recorded when the response closes, by a listener
 * added once the (async) decision resolves. A client gone by then has closed the response
 * already, the listener never ran, and the handler still ran: an allowed call with side
 * effects and no event. And the event, built when it is recorded, read the address from a
 * destroyed socket: `ip` undefined, for allows and refusals alike.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { resourceServer } from '../../../lib/fastify/index.js';
import { AuditRecorder } from '../../support/audit-sink.js';
import { sendAndAbort } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

describe('Fastify audit when the client aborts while the decision waits for I/O', () => {
  let issuer: TestIssuer;
  let app: FastifyInstance;
  let url: string;
  const audit = new AuditRecorder();
  const sideEffects: string[] = [];
  let handlerRan: Promise<void>;
  let ran: () => void = () => undefined;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = Fastify();
    await app.register(resourceServer, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      logger: { warn: () => undefined, error: () => undefined },
      audit: audit.sink,
    });
    app.post('/transfer', async (req) => {
      sideEffects.push(`transfer by ${req.auth?.subject}`);
      ran();
      return { ok: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });
  beforeEach(() => {
    audit.clear();
    sideEffects.length = 0;
    issuer.setLatency(0);
    handlerRan = new Promise((resolve) => (ran = resolve));
  });

  it('an allowed request whose client left during introspection runs the handler and is audited once, with its address', async () => {
    issuer.setLatency(300);
    await sendAndAbort(`${url}/transfer`, issuer.mintOpaque({ sub: 'attacker-opaque' }), 80);
    await handlerRan;
    await audit.waitFor(1);
    expect(sideEffects).toEqual(['transfer by attacker-opaque']);
    // Observed before: no event at all.
    expect(audit.events.map((e) => [e.decision, e.subject, e.ip])).toEqual([['allow', 'attacker-opaque', '127.0.0.1']]);
  });

  it('a refusal decided after the client left names its address', async () => {
    issuer.setLatency(300);
    await sendAndAbort(`${url}/transfer`, issuer.mintOpaque({ sub: 'gone' }, { active: false }), 80);
    await audit.waitFor(1);
    expect(sideEffects).toEqual([]);
    expect(audit.events.map((e) => [e.decision, e.reason, e.ip])).toEqual([['deny', 'ERR_TOKEN_INACTIVE', '127.0.0.1']]);
  });
});
