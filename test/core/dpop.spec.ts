/**
 * The DPoP verifier (RFC 9449) at core level, on an injected clock: the replay window
 * counted from iat, replay detection after the binding check, a replay cache that never
 * forgets a live proof id, and htu checked against the configured origins.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK, CryptoKey } from 'jose';
import { DpopReplayCacheFullError, DpopVerifier, MemoryDpopReplayCache, expectedDpopUrl } from '../../lib/core/dpop.js';
import type { DpopReplayCache, DpopRequest, DpopSettings } from '../../lib/core/dpop.js';
import { AuthError } from '../../lib/core/errors.js';

const ORIGIN = 'https://orders.acme.test';
const T0 = 1_800_000_000_000;
const TOKEN = 'an-access-token';

/** A replay cache on the test clock that records what it is asked. */
class ClockCache implements DpopReplayCache {
  readonly entries = new Map<string, number>();
  readonly ttls: number[] = [];
  constructor(private readonly now: () => number) {}
  remember(key: string, ttlMs: number): boolean {
    this.ttls.push(ttlMs);
    const until = this.entries.get(key);
    if (until !== undefined && until > this.now()) return false;
    this.entries.set(key, this.now() + ttlMs);
    return true;
  }
}

function outcome(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string } | 'ok'> {
  return promise.then(
    () => 'ok' as const,
    (error: unknown) => {
      if (!(error instanceof AuthError)) throw error;
      return { code: error.code, status: error.status, message: error.message };
    },
  );
}

describe('DpopVerifier', () => {
  let key: CryptoKey;
  let jwk: JWK;
  let jkt: string;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
  });
  beforeEach(() => {
    clock = T0;
  });

  function verifier(overrides: Partial<DpopSettings> = {}): DpopVerifier {
    return new DpopVerifier({
      algorithms: ['ES256'],
      maxAge: 60,
      clockTolerance: 5,
      replayCache: new MemoryDpopReplayCache({ now }),
      origins: [ORIGIN],
      now,
      logger: { warn: () => undefined, error: () => undefined },
      ...overrides,
    });
  }

  async function proof(claims: { iat?: number; htu?: string; htm?: string; jti?: string } = {}): Promise<string> {
    return new SignJWT({ htm: claims.htm ?? 'GET', htu: claims.htu ?? `${ORIGIN}/orders`, ath: createHash('sha256').update(TOKEN).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt(claims.iat ?? clock / 1000)
      .setJti(claims.jti ?? randomUUID())
      .sign(key);
  }

  function request(dpopProof: string, overrides: Partial<DpopRequest> = {}): DpopRequest {
    return { proofs: [dpopProof], method: 'GET', path: '/orders?page=2', host: 'orders.acme.test', token: TOKEN, ...overrides };
  }

  describe('replay window (issue 15 item 1)', () => {
    it('refuses a replay for the proof\'s whole acceptable lifetime, counted from an iat up to clockTolerance ahead', async () => {
      const cache = new ClockCache(now);
      const dpop = verifier({ replayCache: cache });
      const ahead = await proof({ iat: T0 / 1000 + 5 }); // acceptable until iat + 60 + 5 = T0 + 70 s
      expect(await outcome(dpop.verify(request(ahead), jkt))).toBe('ok');
      expect(cache.ttls).toEqual([70_001]);
      const replay = { code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof has been used before' };
      clock = T0 + 6_000;
      expect(await outcome(dpop.verify(request(ahead), jkt))).toEqual(replay);
      clock = T0 + 66_000; // past "maxAge + tolerance from first use", still acceptable by its iat
      expect(await outcome(dpop.verify(request(ahead), jkt))).toEqual(replay);
      clock = T0 + 70_000;
      expect(await outcome(dpop.verify(request(ahead), jkt))).toEqual(replay);
      clock = T0 + 70_001;
      expect(await outcome(dpop.verify(request(ahead), jkt))).toEqual({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof is too old' });
    });

    it('does the same with the memory replay cache on the injected clock', async () => {
      const dpop = verifier();
      const ahead = await proof({ iat: T0 / 1000 + 5 });
      expect(await outcome(dpop.verify(request(ahead), jkt))).toBe('ok');
      clock = T0 + 69_999;
      expect(await outcome(dpop.verify(request(ahead), jkt))).toEqual({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof has been used before' });
    });

    it('counts the window from iat for an old proof too: the entry lives only as long as the proof could be accepted', async () => {
      const cache = new ClockCache(now);
      const old = await proof({ iat: T0 / 1000 - 50 });
      expect(await outcome(verifier({ replayCache: cache }).verify(request(old), jkt))).toBe('ok');
      expect(cache.ttls).toEqual([15_001]);
    });

    it('refuses an iat further ahead than the clock tolerance, or older than maxAge + tolerance', async () => {
      const dpop = verifier();
      expect(await outcome(dpop.verify(request(await proof({ iat: T0 / 1000 + 6 })), jkt))).toEqual({
        code: 'ERR_DPOP_PROOF_INVALID',
        status: 401,
        message: 'The DPoP proof has an invalid iat claim',
      });
      expect(await outcome(dpop.verify(request(await proof({ iat: T0 / 1000 - 66 })), jkt))).toEqual({
        code: 'ERR_DPOP_PROOF_INVALID',
        status: 401,
        message: 'The DPoP proof is too old',
      });
      expect(await outcome(dpop.verify(request(await proof({ iat: T0 / 1000 - 65 })), jkt))).toBe('ok');
    });
  });

  describe('replay detection after the binding (issue 15 item 2)', () => {
    it('check() remembers nothing; remember() records the proof id once', async () => {
      const cache = new ClockCache(now);
      const dpop = verifier({ replayCache: cache });
      const once = await proof();
      const checked = await dpop.check(request(once));
      expect(checked.thumbprint).toBe(jkt);
      expect(checked.acceptableUntil).toBe(T0 + 65_000);
      expect(cache.entries.size).toBe(0);
      await checked.remember();
      await checked.remember(); // the same step again: no second record, no replay error
      expect(cache.ttls).toHaveLength(1);
      const again = await dpop.check(request(once));
      expect(await outcome(again.remember())).toEqual({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof has been used before' });
    });

    it('verify() refuses an unbound token or another key before remembering: the proof stays usable for its own token', async () => {
      const cache = new ClockCache(now);
      const dpop = verifier({ replayCache: cache });
      const captured = await proof();
      expect(await outcome(dpop.verify(request(captured), undefined))).toEqual({
        code: 'ERR_DPOP_BINDING_INVALID',
        status: 401,
        message: 'The token is not DPoP-bound; send it as a Bearer token',
      });
      expect(await outcome(dpop.verify(request(captured), 'another-thumbprint'))).toEqual({
        code: 'ERR_DPOP_BINDING_INVALID',
        status: 401,
        message: 'The DPoP proof key does not match the token binding',
      });
      expect(cache.entries.size).toBe(0);
      expect(await outcome(dpop.verify(request(captured), jkt))).toBe('ok');
    });

    it('a full memory replay cache refuses new proofs with 503 and one log line, and never forgets a live proof id', async () => {
      const lines: string[] = [];
      const logger = { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
      const cache = new MemoryDpopReplayCache({ max: 3, now, logger });
      const dpop = verifier({ replayCache: cache });
      const victim = await proof();
      expect(await outcome(dpop.verify(request(victim), jkt))).toBe('ok');
      for (let i = 0; i < 2; i++) expect(await outcome(dpop.verify(request(await proof()), jkt))).toBe('ok');
      const full = { code: 'ERR_ISSUER_UNAVAILABLE', status: 503, message: 'DPoP replay detection is unavailable' };
      for (let i = 0; i < 3; i++) expect(await outcome(dpop.verify(request(await proof()), jkt))).toEqual(full);
      expect(await outcome(dpop.verify(request(victim), jkt))).toEqual({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof has been used before' });
      expect(lines).toEqual([
        'error The DPoP replay cache is full: 3 proof ids that have not expired (dpop.replayCacheMax). New DPoP proofs are refused with 503 ' +
          'until some expire; raise dpop.replayCacheMax, or rate-limit DPoP clients',
      ]);
      clock = T0 + 65_002; // the three proof ids have expired
      expect(await outcome(dpop.verify(request(await proof()), jkt))).toBe('ok');
      expect(cache.size).toBeLessThanOrEqual(3);
    });

    it('MemoryDpopReplayCache: replays are false, live keys are kept when full, expired ones make room', () => {
      const cache = new MemoryDpopReplayCache({ max: 2, now, logger: { warn: () => undefined, error: () => undefined } });
      expect(cache.remember('a', 10_000)).toBe(true);
      expect(cache.remember('a', 10_000)).toBe(false);
      expect(cache.remember('b', 1_000)).toBe(true);
      expect(() => cache.remember('c', 10_000)).toThrow(DpopReplayCacheFullError);
      expect(cache.remember('a', 10_000)).toBe(false);
      expect(cache.remember('b', 10_000)).toBe(false);
      clock = T0 + 1_001;
      expect(cache.remember('c', 10_000)).toBe(true);
      expect(cache.remember('a', 10_000)).toBe(false);
    });
  });

  describe('htu against the configured origins (issue 15 item 3)', () => {
    it('accepts a proof for the configured origin and the request path, whatever the query', async () => {
      expect(await outcome(verifier().verify(request(await proof({ htu: `${ORIGIN}/orders?other=1` })), jkt))).toBe('ok');
      expect(await outcome(verifier().verify(request(await proof(), { host: undefined }), jkt))).toBe('ok');
    });

    it('refuses a proof captured for another API even when the request carries that API\'s Host, and says so once', async () => {
      const lines: string[] = [];
      const dpop = verifier({ logger: { warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) } });
      const foreign = await proof({ htu: 'https://billing.acme.test/orders' });
      const hostRefused = { code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: "The request's Host is not one of this API's DPoP origins" };
      expect(await outcome(dpop.verify(request(foreign, { host: 'billing.acme.test' }), jkt))).toEqual(hostRefused);
      expect(await outcome(dpop.verify(request(foreign, { host: 'billing.acme.test\r\nX: y' }), jkt))).toEqual(hostRefused);
      expect(await outcome(dpop.verify(request(foreign), jkt))).toEqual({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message: 'The DPoP proof is for another URL' });
      expect(lines).toEqual([
        'warn A DPoP request came for Host "billing.acme.test", which is not one of dpop.origins (https://orders.acme.test); it was refused. ' +
          'If a proxy in front of this API rewrites Host, make it forward the one clients use',
      ]);
    });
  });
});

describe('expectedDpopUrl', () => {
  const origins = ['https://api.acme.com', 'http://localhost:3000'];

  it.each([
    [['https://api.acme.com'], '/orders?x=1', 'api.acme.com', 'https://api.acme.com/orders?x=1'],
    [['https://api.acme.com'], '/orders', 'API.acme.com:443', 'https://api.acme.com/orders'],
    [['https://api.acme.com'], '/orders', undefined, 'https://api.acme.com/orders'],
    [origins, '/orders', 'localhost:3000', 'http://localhost:3000/orders'],
    [origins, '/', 'api.acme.com', 'https://api.acme.com/'],
  ])('%j %s with Host %s is %s', (list, path, host, expected) => {
    expect(expectedDpopUrl(list, path, host)).toBe(expected);
  });

  it.each([
    [['https://api.acme.com'], '/orders', 'billing.acme.com', "The request's Host is not one of this API's DPoP origins"],
    [['https://api.acme.com'], '/orders', 'api.acme.com:8443', "The request's Host is not one of this API's DPoP origins"],
    [['https://api.acme.com'], '/orders', 'evil@api.acme.com', "The request's Host is not one of this API's DPoP origins"],
    [['https://api.acme.com'], '/orders', 'api.acme.com/x', "The request's Host is not one of this API's DPoP origins"],
    [['https://api.acme.com'], '/orders', '', "The request's Host is not one of this API's DPoP origins"],
    [origins, '/orders', undefined, "The request's Host is not one of this API's DPoP origins"],
    [['https://api.acme.com'], 'https://billing.acme.com/orders', 'api.acme.com', 'The request target is not a path, so no DPoP proof can match it'],
  ])('refuses %j %s with Host %j', (list, path, host, message) => {
    expect(() => expectedDpopUrl(list, path, host)).toThrow(expect.objectContaining({ code: 'ERR_DPOP_PROOF_INVALID', status: 401, message }));
  });
});
