/**
 * Issue 15, second hardening round: the DPoP attacks, end to end through HTTP, with the
 * attacker's real inputs.
 *
 *  1. a proof minted with `iat = now + clockTolerance`, replayed ~66 s after first use;
 *  2. a holder of any valid token (unbound, or bound to its own key and proofs signed by
 *     fresh keys) floods fresh proofs to push a victim's proof id out of the replay cache,
 *     then replays the captured proof and token;
 *  3. a proof captured for another API, sent here with that API's Host.
 *
 * The forged shared cache (item 5) needs a real Redis: `test/redis/forged-cache.e2e.test.ts`
 * in the Redis suite (`npm run test:redis`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { DpopReplayCache } from '../../lib/core/dpop.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { AppKind, RunningApp } from '../support/apps.js';
import { LogCapture } from '../support/log-capture.js';
import { send } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const ALGS = 'ES256 ES384 ES512 PS256 RS256 EdDSA';
/** Where clients call this API (dpop.origins), and another API of the same audience. */
const HOST = 'orders.acme.test';
const OTHER_HOST = 'billing.acme.test';

/** A replay store with real expiry on the test clock, as a shared store (Redis `PX`) behaves. */
class ClockReplayStore implements DpopReplayCache {
  readonly #until = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  remember(key: string, ttlMs: number): boolean {
    const until = this.#until.get(key);
    if (until !== undefined && until > this.now()) return false;
    this.#until.set(key, this.now() + ttlMs);
    return true;
  }
}

interface Holder {
  readonly key: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function holder(): Promise<Holder> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { key: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

function proof(who: Holder, token: string, htu: string, iat = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ htm: 'GET', htu, ath: createHash('sha256').update(token).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: who.jwk })
    .setIssuedAt(iat)
    .setJti(randomUUID())
    .sign(who.key);
}

async function call(app: RunningApp, host: string, token: string, dpopProof: string) {
  const response = await send(`${app.url}/me`, { headers: [['host', host], ['authorization', `DPoP ${token}`], ['dpop', dpopProof]] });
  return { status: response.status, challenge: response.headers['www-authenticate'], retryAfter: response.headers['retry-after'] };
}

const replayed = {
  status: 401,
  challenge: `DPoP realm="api", error="invalid_dpop_proof", error_description="The DPoP proof has been used before", algs="${ALGS}"`,
  retryAfter: undefined,
};

describe('DPoP hardening (issue 15 items 1-3)', () => {
  let issuer: TestIssuer;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await issuer.close();
  });

  async function api(kind: AppKind, dpop: ResourceServerOptions['dpop'], extra: Partial<ResourceServerOptions> = {}): Promise<RunningApp> {
    const app = await startApp(kind, { issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', dpop, logger: new LogCapture(), ...extra });
    apps.push(app);
    return app;
  }

  describe.each(APP_KINDS)('on %s', (kind) => {
    it('1. refuses a proof with iat = now + clockTolerance replayed 66 s after its first use', async () => {
      let offset = 0;
      const now = () => Date.now() + offset;
      const app = await api(kind, { origins: [`http://${HOST}`], replayCache: new ClockReplayStore(now) }, { now });
      const victim = await holder();
      const token = await issuer.mintJwt({ cnf: { jkt: victim.jkt } });
      const ahead = await proof(victim, token, `http://${HOST}/me`, Math.floor(Date.now() / 1000) + 5);
      expect((await call(app, HOST, token, ahead)).status).toBe(200);
      offset = 6_000;
      expect(await call(app, HOST, token, ahead)).toEqual(replayed);
      offset = 66_000; // acceptable until iat + 60 + 5 s: still inside the proof's lifetime
      expect(await call(app, HOST, token, ahead)).toEqual(replayed);
    });

    it('3. refuses a proof captured for another API sent with that API\'s Host, and accepts this API\'s own', async () => {
      const app = await api(kind, { origins: [`http://${HOST}`] });
      const client = await holder();
      const token = await issuer.mintJwt({ cnf: { jkt: client.jkt } });
      const captured = await proof(client, token, `http://${OTHER_HOST}/me`);
      expect(await call(app, OTHER_HOST, token, captured)).toEqual({
        status: 401,
        challenge: `DPoP realm="api", error="invalid_dpop_proof", error_description="The request's Host is not one of this API's DPoP origins", algs="${ALGS}"`,
        retryAfter: undefined,
      });
      expect(await call(app, HOST, token, captured)).toEqual({
        status: 401,
        challenge: `DPoP realm="api", error="invalid_dpop_proof", error_description="The DPoP proof is for another URL", algs="${ALGS}"`,
        retryAfter: undefined,
      });
      expect((await call(app, HOST, token, await proof(client, token, `http://${HOST}/me`))).status).toBe(200);
    });
  });

  describe('2. replay-cache eviction (express)', () => {
    const max = 100; // the smallest dpop.replayCacheMax

    it('refused proofs of an unbound token take no slot: the victim\'s proof id survives a flood of them', async () => {
      const app = await api('express', { origins: [`http://${HOST}`], replayCacheMax: max });
      const victim = await holder();
      const victimToken = await issuer.mintJwt({ cnf: { jkt: victim.jkt } });
      const captured = await proof(victim, victimToken, `http://${HOST}/me`);
      expect((await call(app, HOST, victimToken, captured)).status).toBe(200);

      const attacker = await holder();
      const unbound = await issuer.mintJwt();
      // The flood all at once: what a slot would cost, it costs whatever the order.
      const proofs = await Promise.all(Array.from({ length: max + 5 }, () => proof(attacker, unbound, `http://${HOST}/me`)));
      for (const refused of await Promise.all(proofs.map((p) => call(app, HOST, unbound, p)))) {
        expect(refused.challenge).toContain('error_description="The token is not DPoP-bound; send it as a Bearer token"');
      }
      expect(await call(app, HOST, victimToken, captured)).toEqual(replayed);
    });

    it('proofs by other keys for a bound token are refused before they take a slot: the victim\'s proof id survives', async () => {
      const app = await api('express', { origins: [`http://${HOST}`], replayCacheMax: max });
      const victim = await holder();
      const victimToken = await issuer.mintJwt({ cnf: { jkt: victim.jkt } });
      const captured = await proof(victim, victimToken, `http://${HOST}/me`);
      expect((await call(app, HOST, victimToken, captured)).status).toBe(200);

      const attacker = await holder();
      const bound = await issuer.mintJwt({ cnf: { jkt: attacker.jkt } });
      const proofs = await Promise.all(Array.from({ length: max + 5 }, async () => proof(await holder(), bound, `http://${HOST}/me`)));
      for (const refused of await Promise.all(proofs.map((p) => call(app, HOST, bound, p)))) {
        expect(refused.challenge).toContain('error_description="The DPoP proof key does not match the token binding"');
      }
      expect(await call(app, HOST, victimToken, captured)).toEqual(replayed);
    });

    it('a full cache refuses new proofs with 503 and Retry-After rather than forget a live proof id', async () => {
      const app = await api('express', { origins: [`http://${HOST}`], replayCacheMax: max });
      const victim = await holder();
      const victimToken = await issuer.mintJwt({ cnf: { jkt: victim.jkt } });
      const captured = await proof(victim, victimToken, `http://${HOST}/me`);
      expect((await call(app, HOST, victimToken, captured)).status).toBe(200);

      const attacker = await holder();
      const bound = await issuer.mintJwt({ cnf: { jkt: attacker.jkt } });
      const proofs = await Promise.all(Array.from({ length: max - 1 }, () => proof(attacker, bound, `http://${HOST}/me`)));
      expect((await Promise.all(proofs.map((p) => call(app, HOST, bound, p)))).map((answer) => answer.status)).toEqual(proofs.map(() => 200));
      const shed = await call(app, HOST, bound, await proof(attacker, bound, `http://${HOST}/me`));
      expect({ status: shed.status, retryAfter: shed.retryAfter }).toEqual({ status: 503, retryAfter: '1' });
      expect(await call(app, HOST, victimToken, captured)).toEqual(replayed);
    });
  });
});
