/**
 * The transport slice of the attack corpus (support/corpus.ts `TRANSPORT_CASES`) over real
 * HTTP, on every framework: every case about request parsing and routing (raw bytes, two
 * headers, carriers, paths), plus a representative of each token-content refusal (the whole
 * corpus runs once at core level, attacks.core.spec.ts). Each case checks the exact status,
 * the `WWW-Authenticate` challenge, the JSON body, the one audit event, and that nothing
 * secret (tokens, key material) or internal (stack frames, source paths) shows up in the
 * response. At the end, the same for every log line (the resource server's logger, Nest's
 * logger, raw stdout/stderr) and every audit event.
 */
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { isExpress } from '../support/apps.js';
import { AuditRecorder } from '../support/audit-sink.js';
import { send } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { createAttackContext } from './support/attack-context.js';
import type { AttackContext } from './support/attack-context.js';
import { checkAnswer, checkAudit, expectationFor, tokensOf } from './support/attack-check.js';
import { TRANSPORT_CASES, revocation } from './support/corpus.js';
import type { AttackRequest } from './support/corpus.js';
import { FullLogCapture, findLeaks, responseText } from './support/leaks.js';
import { rawRequest } from './support/raw-http.js';

describe('the leak detector', () => {
  it('finds tokens and their segments, key parameters, stack frames, source paths and PEM armour', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    expect(findLeaks('nothing to see', [token])).toEqual([]);
    expect(findLeaks(`Bearer ${token}`, [token])).toHaveLength(1);
    expect(findLeaks('sig: c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU', [token])).toHaveLength(1);
    expect(findLeaks('TypeError: x\n    at verify (/work/main/lib/core/jwt-verifier.ts:42:13)', [])).not.toEqual([]);
    expect(findLeaks('    at async Promise.all (index 0)\n    at Object.<anonymous> (file:///x.js:1:2)', [])).not.toEqual([]);
    expect(findLeaks('see node_modules/jose/dist/webapi/index.js', [])).not.toEqual([]);
    expect(findLeaks('-----BEGIN PUBLIC KEY-----', [])).not.toEqual([]);
  });
});

describe.each(APP_KINDS)('attack corpus on %s', (kind) => {
  let ctx: AttackContext;
  let app: RunningApp;
  const logs = new FullLogCapture();
  const audit = new AuditRecorder();
  let expectedEvents = 0;
  const allSecrets = new Set<string>();

  let startedAt = 0;

  beforeAll(async () => {
    startedAt = Date.now();
    ctx = await createAttackContext();
    logs.captureStdio();
    app = await startApp(
      kind,
      {
        issuer: ctx.issuer.issuer,
        audience: ['test-project'],
        projectId: 'test-project',
        jwksUri: ctx.jwksUri,
        timeout: 2000,
        introspection: { auth: { type: 'client_secret_basic', ...ctx.issuer.introspectionClient } },
        revocation: revocation(ctx),
        logger: logs,
        audit: audit.sink,
      },
      logs,
    );
  });

  afterAll(async () => {
    logs.restore();
    await app?.close();
    await ctx?.close();
  });

  async function attack(request: AttackRequest): Promise<Sent> {
    const url = `${app.url}${request.path ?? '/me'}`;
    if (request.raw) return rawRequest(url, request.raw, request.body);
    return send(url, { method: request.method ?? 'GET', headers: request.headers ?? [], ...(request.body === undefined ? {} : { body: request.body }) });
  }

  for (const attackCase of TRANSPORT_CASES) {
    // KNOWN_BUGS=strict runs the known-bug cases as plain tests, to see how they fail.
    const run = attackCase.knownBug && process.env.KNOWN_BUGS !== 'strict' ? it.failing : it;
    run(`${attackCase.id} ${attackCase.name}${attackCase.knownBug ? ` [lib bug: ${attackCase.knownBug}]` : ''}`, async () => {
      const expected = expectationFor(attackCase, kind);
      audit.clear();
      const request = await attackCase.build(ctx);
      const secrets = [...tokensOf(request), ...ctx.keySecrets];
      for (const secret of secrets) allSecrets.add(secret);

      const response = await attack(request);
      checkAnswer(expected, { ...response, text: responseText(response) }, secrets, !isExpress(kind));

      // One audit event per decision, by the time the answer is in (an allow on Express is
      // audited when the response closes: the sink's promise says when it came).
      const audited = expected.audited ?? true;
      if (audited) expectedEvents += 1;
      checkAudit(expected, response.status, await audit.waitFor(audited ? 1 : 0));
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
    expect(allSecrets.size).toBeGreaterThan(TRANSPORT_CASES.length);
    expect(findLeaks(logs.text(), allSecrets)).toEqual([]);
    expect(findLeaks(JSON.stringify(audit.all), allSecrets)).toEqual([]);
  });
});
