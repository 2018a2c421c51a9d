/**
 * Issue 15 item 4, introspection amplification: a flood of junk tokens (bounded in count,
 * simulated time, no sockets) makes a bounded number of upstream calls, and legitimate
 * PATs — cached, known and new — still get through. Default limits: 8 calls at once (2 kept
 * for known tokens), 100 never-seen tokens per second.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { Principal } from '../../../lib/core/principal.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer, patAnswer } from '../support/fake-issuer.js';
import type { Answer } from '../support/fake-issuer.js';
import { zitadelOpaqueToken, zitadelPat } from '../support/zitadel-tokens.js';

async function setup() {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const legit = new Set<string>();
  let slow = false;
  let inFlight = 0;
  let maxInFlight = 0;
  const held: (() => void)[] = [];
  issuer.introspection = (token) => {
    const answer: Answer = legit.has(token) ? { body: patAnswer(time.now()) } : { body: { active: false } };
    if (!slow || legit.has(token)) return answer;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<Answer>((resolve) => held.push(() => (inFlight -= 1, resolve(answer))));
  };
  const warnings: string[] = [];
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    projectId: PROJECT,
    logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    fetch: issuer.fetch,
    now: time.now,
    introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's' } },
  });
  const pat = () => {
    const token = zitadelPat();
    legit.add(token);
    return token;
  };
  return {
    time, issuer, rs, pat, warnings, held,
    slowDown: () => (slow = true),
    get maxInFlight() { return maxInFlight; },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** What a fuzzer or a script sends: words, UUIDs, hex, base64, JWT-looking junk. */
function randomJunk(i: number): string {
  switch (i % 6) {
    case 0: return randomUUID();
    case 1: return randomBytes(16).toString('hex');
    case 2: return `token-${i}`;
    case 3: return randomBytes(24).toString('base64url');
    case 4: return `${randomBytes(8).toString('base64url')}.${randomBytes(8).toString('base64url')}.${randomBytes(8).toString('base64url')}`;
    default: return randomBytes(30).toString('base64');
  }
}

function statusOf(result: PromiseSettledResult<Principal>): number {
  return result.status === 'fulfilled' ? 200 : (result.reason as { status: number }).status;
}

describe('a junk-token flood (issue 15 item 4)', () => {
  it('of made-up strings: no upstream call at all, while PATs, cached and new, are served during it', async () => {
    const { issuer, rs, pat } = await setup();
    const cached = pat();
    await rs.authenticate(`Bearer ${cached}`);
    expect(issuer.calls.introspection).toBe(1);

    const flood = Promise.allSettled(Array.from({ length: 3000 }, (_, i) => rs.authenticate(`Bearer ${randomJunk(i)}`)));
    const during = await Promise.all([rs.authenticate(`Bearer ${cached}`), rs.authenticate(`Bearer ${pat()}`)]);
    expect(during.map((p) => p.subject)).toEqual(['294900000000000001', '294900000000000001']);
    const results = await flood;
    expect(results.every((r) => statusOf(r) === 401)).toBe(true);
    expect(new Set(results.map((r) => (r as PromiseRejectedResult).reason.code))).toEqual(new Set(['ERR_TOKEN_MALFORMED']));
    expect(issuer.calls.introspection).toBe(2);
  });

  it('of ZITADEL-shaped junk: at most 6 calls at once, the rest refused at once with 503 + Retry-After; a known PAT keeps a reserved slot', async () => {
    const env = await setup();
    const { issuer, rs, pat, time, held, slowDown, warnings } = env;
    const cached = pat();
    const known = pat();
    await rs.authenticate(`Bearer ${cached}`);
    await rs.authenticate(`Bearer ${known}`);
    time.advance(31_000); // the answer for `known` has left the cache (30 s); `cached` is refreshed below
    await rs.authenticate(`Bearer ${cached}`);
    slowDown();
    const callsBefore = issuer.calls.introspection;

    const junk = Array.from({ length: 500 }, () => (Math.random() < 0.5 ? zitadelPat() : zitadelOpaqueToken()));
    const flood = Promise.allSettled(junk.map((token) => rs.authenticate(`Bearer ${token}`)));
    await tick();
    expect(issuer.calls.introspection - callsBefore).toBe(6);

    // During the flood: the cached PAT costs nothing, the known one takes a reserved slot,
    // a never-seen one is told when to come back (never a 401, never a hang).
    await expect(rs.authenticate(`Bearer ${cached}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    await expect(rs.authenticate(`Bearer ${known}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    const fresh = pat();
    await expect(rs.authenticate(`Bearer ${fresh}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503, retryAfter: 1 });
    expect(issuer.calls.introspection - callsBefore).toBe(7);

    for (const release of held.splice(0)) release();
    const results = await flood;
    const counts = results.reduce<Record<number, number>>((acc, r) => ((acc[statusOf(r)] = (acc[statusOf(r)] ?? 0) + 1), acc), {});
    expect(counts).toEqual({ 401: 6, 503: 494 });
    expect(env.maxInFlight).toBe(6);
    expect(warnings.some((w) => w.includes('"introspection.maxConcurrent"'))).toBe(true);

    // Retrying after Retry-After works once the slots are free again.
    await expect(rs.authenticate(`Bearer ${fresh}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
  });

  it('sustained for 10 s: never more than 100 never-seen tokens per second reach the issuer; a new PAT arriving each second gets through', async () => {
    const { issuer, rs, pat, time } = await setup();
    const before = issuer.calls.introspection;
    let newPatsServed = 0;
    for (let second = 0; second < 10; second += 1) {
      time.advance(1000);
      const fresh = rs.authenticate(`Bearer ${pat()}`);
      const wave = Promise.allSettled(Array.from({ length: 400 }, () => rs.authenticate(`Bearer ${zitadelPat()}`)));
      await fresh;
      newPatsServed += 1;
      const results = await wave;
      expect(results.map(statusOf).filter((status) => status !== 401 && status !== 503)).toEqual([]);
    }
    expect(newPatsServed).toBe(10);
    // 4,000 junk tokens and 10 PATs in 10 s: the bucket (100 per second, one second's worth
    // held) admits at most 100 + 10 × 100.
    expect(issuer.calls.introspection - before).toBeLessThanOrEqual(1100);
  });
});
