/**
 * The attack corpus (support/corpus.ts) over real HTTP, on every framework. Each case checks
 * the exact status, the `WWW-Authenticate` challenge, the JSON body, the one audit event,
 * and that nothing secret (tokens, key material) or internal (stack frames, source paths)
 * shows up in the response. At the end, the same for every log line (the resource server's
 * logger, Nest's logger, raw stdout/stderr) and every audit event.
 */
import type { AuditEvent } from '../../lib/core/audit.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { isExpress } from '../support/apps.js';
import { send } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { createAttackContext } from './support/attack-context.js';
import type { AttackContext } from './support/attack-context.js';
import { CORPUS, revocation } from './support/corpus.js';
import type { AttackCase, AttackRequest, Expectation } from './support/corpus.js';
import { FullLogCapture, findLeaks, responseText } from './support/leaks.js';
import { rawRequest } from './support/raw-http.js';

/** Tokens a request carries, wherever they are: they must never be echoed. */
function tokensOf(request: AttackRequest): string[] {
  const found = [...(request.secrets ?? [])];
  for (const [name, value] of request.headers ?? []) {
    const match = name.toLowerCase() === 'authorization' ? /^\S+\s+(.+)$/s.exec(value) : null;
    if (match?.[1]) found.push(match[1].trim());
  }
  if (request.raw) {
    const text = request.raw.toString('latin1');
    for (const match of text.matchAll(/Authorization: \S+\s(.+)/gi)) found.push(match[1]!.trim());
  }
  return found;
}

async function waitForEvents(events: AuditEvent[], expected: number): Promise<void> {
  for (let i = 0; i < 100 && events.length < expected; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  // Give a stray second event the chance to show up.
  await new Promise((resolve) => setTimeout(resolve, expected === 0 ? 50 : 10));
}

function expectationFor(attack: AttackCase, kind: AppKind): Expectation {
  return typeof attack.expect === 'function' ? attack.expect(kind) : attack.expect;
}

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
  const events: AuditEvent[] = [];
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
        audit: (event) => events.push(event),
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

  for (const attackCase of CORPUS) {
    // KNOWN_BUGS=strict runs the known-bug cases as plain tests, to see how they fail.
    const run = attackCase.knownBug && process.env.KNOWN_BUGS !== 'strict' ? it.failing : it;
    run(`${attackCase.id} ${attackCase.name}${attackCase.knownBug ? ` [lib bug: ${attackCase.knownBug}]` : ''}`, async () => {
      const expected = expectationFor(attackCase, kind);
      events.length = 0;
      const request = await attackCase.build(ctx);
      const secrets = [...tokensOf(request), ...ctx.keySecrets];
      for (const secret of secrets) allSecrets.add(secret);

      const response = await attack(request);
      const challenge = response.headers['www-authenticate'];
      const body = (response.body ?? {}) as Record<string, unknown>;

      // Status and challenge, compared together for a readable failure.
      expect({
        status: response.status,
        ...(expected.challenge === undefined ? {} : { challenge: challenge ?? null }),
      }).toEqual({
        status: expected.status,
        ...(expected.challenge === undefined ? {} : { challenge: expected.challenge }),
      });
      if (expected.challengeIncludes !== undefined) expect(challenge).toContain(expected.challengeIncludes);
      if (expected.description !== undefined) {
        const error = /error="([a-z_]+)"/.exec(String(challenge))?.[1];
        expect(body).toMatchObject({ error, error_description: expected.description });
        if (!isExpress(kind)) expect(body.statusCode).toBe(expected.status);
      }
      if (expected.status === 503) expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      if (expected.subject !== undefined) expect(body.subject).toBe(expected.subject);

      // Nothing secret or internal in the answer, and no header smuggled into it.
      expect(response.headers['x-injected']).toBeUndefined();
      expect(findLeaks(responseText(response), secrets)).toEqual([]);

      // One audit event per decision, saying what was decided.
      const audited = expected.audited ?? true;
      await waitForEvents(events, audited ? 1 : 0);
      if (!audited) {
        expect(events).toHaveLength(0);
      } else {
        expect(events).toHaveLength(1);
        const event = events[0]!;
        // The event's status is the auth decision's: the refusal's status, or 200 for a
        // caller let through (whatever the handler answers after, e.g. 404 for no route).
        const refused = [400, 401, 403, 503].includes(response.status);
        expect(event.status).toBe(refused ? response.status : 200);
        if (!refused) {
          expect(event.decision).toBe('allow');
          expect(event.reason).toBeUndefined();
        } else {
          expect(event.decision).toBe(response.status === 503 ? 'unavailable' : 'deny');
          if (expected.code !== undefined) expect(event.reason).toBe(expected.code);
        }
      }
    });
  }

  it('never contacted a URL named in a token (jku, x5u)', () => {
    expect(ctx.canary.hits).toEqual([]);
  });

  it('fetched the JWKS at most once per 5 s cooldown, whatever the kids', () => {
    expect(ctx.jwksHits.length).toBeGreaterThanOrEqual(1);
    expect(ctx.jwksHits.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - startedAt) / 5000));
  });

  it('put no token, key material, stack frame or source path into a log line or an audit event', () => {
    expect(allSecrets.size).toBeGreaterThan(CORPUS.length);
    expect(findLeaks(logs.text(), allSecrets)).toEqual([]);
    expect(findLeaks(JSON.stringify(auditTrail), allSecrets)).toEqual([]);
  });

  // Every event of every case, kept for the final leak check.
  const auditTrail: AuditEvent[] = [];
  afterEach(() => {
    auditTrail.push(...events);
  });
});
