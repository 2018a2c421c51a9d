/**
 * Issue 15 item 4 over real HTTP: a junk-token flood (bounded: 300 requests, loopback only,
 * a second or two) against an API protected as the README configures it for ZITADEL, on
 * Express, Nest and Fastify. The upstream call count stays bounded, a legitimate PAT is
 * served during the flood, and a new one that was told to come back gets through when it
 * does. The same flood with simulated time and exact counts: test/core/introspection/amplification.spec.ts.
 *
 * The introspection calls the flood gets admitted are held (by the server's injected
 * `fetch`) until every other request of the burst has its answer: the burst meets busy
 * slots however long it takes to arrive, so the counts do not depend on the machine's load
 * (with a fixed 150 ms latency instead, a burst that outlasted it let more fakes through).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FetchLike } from '../../lib/core/http.js';
import { startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { get } from '../support/send.js';
import type { Sent } from '../support/send.js';
import { zitadelOpaqueToken, zitadelPat } from '../core/support/zitadel-tokens.js';
import { startZitadel } from '../zitadel/support.js';
import type { ZitadelFixture } from '../zitadel/support.js';

const KINDS: readonly AppKind[] = ['express', 'nest-express', 'fastify'];

/** A `fetch` for the resource server that, while closed, holds its introspection calls. */
class IntrospectionGate {
  held = 0;
  #closed = false;
  #waiting: (() => void)[] = [];
  onHold: () => void = () => undefined;

  readonly fetch: FetchLike = async (url, init) => {
    if (this.#closed && url.endsWith('/oauth/v2/introspect')) {
      this.held += 1;
      await new Promise<void>((resolve) => {
        this.#waiting.push(resolve);
        this.onHold();
      });
    }
    return fetch(url, init);
  };

  close(): void {
    this.#closed = true;
    this.held = 0;
  }

  open(): void {
    this.#closed = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

/** What a script sends: UUIDs, hex, words, base64, JWT-looking junk. */
function madeUp(i: number): string {
  switch (i % 5) {
    case 0: return randomUUID();
    case 1: return randomBytes(16).toString('hex');
    case 2: return `token-${i}`;
    case 3: return `${randomBytes(8).toString('base64url')}.${randomBytes(8).toString('base64url')}.${randomBytes(8).toString('base64url')}`;
    default: return randomBytes(24).toString('base64url');
  }
}

function count(answers: readonly Sent[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

describe.each(KINDS)('a junk-token flood over HTTP (%s)', (kind) => {
  let zitadel: ZitadelFixture;
  let app: RunningApp;
  const operatorLog: string[] = [];
  const gate = new IntrospectionGate();

  beforeAll(async () => {
    zitadel = await startZitadel();
    app = await startApp(kind, zitadel.options('client_secret_basic', {
      logger: { warn: (m) => operatorLog.push(m), error: (m) => operatorLog.push(m) },
      fetch: gate.fetch,
      // A held call is answered once the burst is over: well within this, however busy the machine.
      timeout: 20_000,
    }));
  });
  afterAll(async () => {
    await app?.close();
    await zitadel?.close();
  });

  it('200 made-up strings and 100 ZITADEL-shaped fakes at once: a handful of upstream calls, a cached PAT served throughout, a new PAT served when it comes back', async () => {
    const cached = zitadel.issuer.createPersonalAccessToken({ user: zitadel.user });
    expect((await get(`${app.url}/me`, cached)).status).toBe(200);
    zitadel.issuer.resetCounts();
    gate.close();

    // Every request of the burst is answered, but for those whose introspection call is held.
    let answered = 0;
    let total = 0;
    let burstOver = () => undefined as void;
    const over = new Promise<void>((resolve) => (burstOver = resolve));
    const check = () => {
      if (answered + gate.held >= total) burstOver();
    };
    gate.onHold = check;
    const send = (token: string): Promise<Sent> => {
      total += 1;
      return get(`${app.url}/me`, token).finally(() => {
        answered += 1;
        check();
      });
    };
    const fresh = zitadel.issuer.createPersonalAccessToken({ user: zitadel.user });
    const madeUpAnswers = Promise.all(Array.from({ length: 200 }, (_, i) => send(madeUp(i))));
    const fakeAnswers = Promise.all(Array.from({ length: 100 }, (_, i) => send(i % 2 === 0 ? zitadelPat() : zitadelOpaqueToken())));
    const during = Promise.all([send(cached), send(fresh)]);
    await over;
    const held = gate.held;
    gate.open();
    const [[duringCached, duringFresh], made, fakes] = await Promise.all([during, madeUpAnswers, fakeAnswers]);

    // Made-up strings are refused without asking anyone.
    expect(count(made)).toEqual({ 401: 200 });
    expect(made[0]!.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The token is malformed"');
    // ZITADEL-shaped fakes: the few admitted are inactive (401); the rest are shed with 503
    // and Retry-After before they cost a call made with the API's credentials.
    const fakeCounts = count(fakes);
    expect(Object.keys(fakeCounts).sort()).toEqual(['401', '503']);
    expect(fakeCounts[503]).toBeGreaterThanOrEqual(100 - 6);
    for (const answer of fakes.filter((a) => a.status === 503)) expect(answer.headers['retry-after']).toBe('1');
    // Upstream: one call per admitted fake (at most 6 at once, introspection.maxConcurrent,
    // all held while the burst lasted), plus the new PAT's — never one per junk token.
    expect(zitadel.issuer.requests.introspection).toBe((fakeCounts[401] ?? 0) + (duringFresh.status === 200 ? 1 : 0));
    expect(zitadel.issuer.requests.introspection).toBe(held);
    expect(held).toBeGreaterThanOrEqual(1);
    expect(held).toBeLessThanOrEqual(6);

    // The legitimate callers: the cached PAT is served during the flood; a never-seen PAT is
    // either served or told when to retry (never a 401), and served when it does.
    expect(duringCached.status).toBe(200);
    expect(duringCached.body).toMatchObject({ subject: zitadel.user.userId, tokenKind: 'opaque' });
    expect([200, 503]).toContain(duringFresh.status);
    const retried = await get(`${app.url}/me`, fresh);
    expect(retried.status).toBe(200);
    expect(operatorLog.some((line) => line.includes('"introspection.maxConcurrent"'))).toBe(true);
    for (const line of operatorLog) {
      expect(line).not.toContain(cached);
      expect(line).not.toContain(fresh);
    }
  });
});
