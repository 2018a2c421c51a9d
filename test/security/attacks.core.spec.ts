/**
 * The whole attack corpus (support/corpus.ts) once, at core level: each case is decided by
 * `rs.decide()` on the request view an adapter builds (support/core-app.ts), with the same
 * assertions as over HTTP: exact status, challenge and body, the one audit event, nothing
 * secret or internal in the answer, the log lines or the audit trail. The transport slice
 * (attacks.transport.spec.ts) runs the cases about request parsing, plus a representative of
 * each token-content refusal, over real HTTP on every app kind.
 */
import { CORE_CASES, CORPUS, TRANSPORT_CASES, revocation } from './support/corpus.js';
import { createAttackContext } from './support/attack-context.js';
import type { AttackContext } from './support/attack-context.js';
import { checkAnswer, checkAudit, expectationFor, runsAtCore, tokensOf } from './support/attack-check.js';
import { FullLogCapture, findLeaks } from './support/leaks.js';
import { coreApp, hasCoreRoute } from '../support/core-app.js';
import type { CoreApp } from '../support/core-app.js';
import { AuditRecorder } from '../support/audit-sink.js';

describe('the corpus split', () => {
  it('runs every case somewhere, and each token-content case at core level', () => {
    const where = new Set([...CORE_CASES, ...TRANSPORT_CASES].map((attack) => attack.id));
    expect(where.size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((attack) => attack.id)).size).toBe(CORPUS.length);
    for (const attack of CORPUS) if (!/^[TP]/.test(attack.id)) expect(CORE_CASES).toContain(attack);
  });
});

describe('attack corpus at core level', () => {
  let ctx: AttackContext;
  let app: CoreApp;
  const logs = new FullLogCapture();
  const audit = new AuditRecorder();
  const allSecrets = new Set<string>();
  let startedAt = 0;
  let expectedEvents = 0;

  beforeAll(async () => {
    startedAt = Date.now();
    ctx = await createAttackContext();
    logs.captureStdio();
    app = coreApp({
      issuer: ctx.issuer.issuer,
      audience: ['test-project'],
      projectId: 'test-project',
      jwksUri: ctx.jwksUri,
      timeout: 2000,
      introspection: { auth: { type: 'client_secret_basic', ...ctx.issuer.introspectionClient } },
      revocation: revocation(ctx),
      logger: logs,
      audit: audit.sink,
    });
  });

  afterAll(async () => {
    logs.restore();
    await ctx?.close();
  });

  for (const attackCase of CORE_CASES) {
    const run = attackCase.knownBug && process.env.KNOWN_BUGS !== 'strict' ? it.failing : it;
    run(`${attackCase.id} ${attackCase.name}${attackCase.knownBug ? ` [lib bug: ${attackCase.knownBug}]` : ''}`, async () => {
      const expected = expectationFor(attackCase, 'express');
      audit.clear();
      const request = await attackCase.build(ctx);
      expect(runsAtCore(attackCase, request, hasCoreRoute)).toBe(true);
      const secrets = [...tokensOf(request), ...ctx.keySecrets];
      for (const secret of secrets) allSecrets.add(secret);

      const answer = await app.send({
        ...(request.method === undefined ? {} : { method: request.method }),
        ...(request.path === undefined ? {} : { path: request.path }),
        ...(request.headers === undefined ? {} : { headers: request.headers }),
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      checkAnswer(expected, { ...answer, text: `${answer.status}\n${JSON.stringify(answer.headers)}\n${JSON.stringify(answer.body)}` }, secrets, true);
      // At core level the event is emitted by the time the decision is returned.
      checkAudit(expected, answer.status, audit.events);
      if (expected.audited ?? true) expectedEvents += 1;
    });
  }

  it('emitted no event beyond one per decision, late ones included', async () => {
    await audit.idle();
    expect(audit.all).toHaveLength(expectedEvents);
  });

  it('never contacted a URL named in a token (jku, x5u)', () => {
    expect(ctx.canary.hits).toEqual([]);
  });

  it('fetched the JWKS at most once per 5 s cooldown, whatever the kids', () => {
    expect(ctx.jwksHits.length).toBeGreaterThanOrEqual(1);
    expect(ctx.jwksHits.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - startedAt) / 5000));
  });

  it('put no token, key material, stack frame or source path into a log line or an audit event', () => {
    expect(allSecrets.size).toBeGreaterThan(CORE_CASES.length);
    expect(findLeaks(logs.text(), allSecrets)).toEqual([]);
    expect(findLeaks(JSON.stringify(audit.all), allSecrets)).toEqual([]);
  });
});
