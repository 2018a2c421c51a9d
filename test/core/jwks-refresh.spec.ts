/**
 * JWKS refresh on an unknown kid, its cooldown, outages at cold start and after warm-up:
 * decided by the core (support/core-app.ts) against the test issuer on 127.0.0.1, once.
 * The app kinds run the transport side of it in e2e/jwks.e2e.spec.ts.
 */
import { generateKeyPair } from 'jose';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { coreApp } from '../support/core-app.js';
import type { CoreApp } from '../support/core-app.js';
import { LogCapture } from '../support/log-capture.js';
import { testKeys } from '../support/test-keys.js';

const TIMEOUT_MS = 1000;
/**
 * For the hanging JWKS only (it costs this much): short, yet roomy for the fetch after the
 * issuer comes back on a busy machine (150 ms was seen to be too little).
 */
const HANG_TIMEOUT_MS = 400;

describe('JWKS handling at core level', () => {
  let issuer: TestIssuer;
  let app: CoreApp;
  let offset = 0;
  const now = () => Date.now() + offset;
  const logs = new LogCapture();

  beforeEach(async () => {
    offset = 0;
    issuer = await createTestIssuer({ now, keys: await testKeys() });
    app = coreApp({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', timeout: TIMEOUT_MS, now, logger: logs });
  });

  afterEach(async () => {
    await issuer.close();
  });

  const me = async (token: string) => {
    const started = performance.now();
    const answer = await app.get('/me', token);
    return { ...answer, ms: performance.now() - started };
  };

  it('accepts a token signed by a rotated-in key once the cooldown has passed, with one JWKS fetch', async () => {
    expect((await me(await issuer.mintJwt())).status).toBe(200);
    // An ES256 key: what is rotated in does not matter here, and it takes no RSA key generation.
    await issuer.rotateKeys({ alg: 'ES256' });
    const rotated = await issuer.mintJwt();
    issuer.resetCounts();
    // Within the 5 s cooldown of the last fetch an unknown kid is refused at once, without a fetch.
    const early = await me(rotated);
    expect(early.status).toBe(401);
    expect(early.headers['www-authenticate']).toContain('The token was signed with an unknown key');
    expect(issuer.requests.jwks).toBe(0);
    offset += 5001;
    expect((await me(rotated)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('turns a flood of 200 random kids into at most one JWKS fetch per cooldown', async () => {
    expect((await me(await issuer.mintJwt())).status).toBe(200);
    const attacker = await generateKeyPair('ES256');
    const flood = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issuer.mintJwt({}, { key: attacker.privateKey, header: { kid: `random-${i}-${Math.random()}` } })),
    );
    offset += 5001;
    issuer.resetCounts();
    const answers = await Promise.all(flood.map((token) => me(token)));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(issuer.requests.jwks).toBe(1);
    offset += 5001;
    const again = await Promise.all(flood.slice(0, 100).map((token) => me(token)));
    expect(again.every((a) => a.status === 401)).toBe(true);
    expect(issuer.requests.jwks).toBe(2);
  });

  it.each(['refuse', 'hang', 'error', 'garbage'] as const)(
    'answers 503 with Retry-After when the issuer is down at cold start (%s), within the timeout',
    async (mode) => {
      const timeout = mode === 'hang' ? HANG_TIMEOUT_MS : TIMEOUT_MS;
      app = coreApp({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', timeout, now, logger: logs });
      const token = await issuer.mintJwt();
      await issuer.goDown(mode);
      const response = await me(token);
      expect(response.status).toBe(503);
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(response.headers['www-authenticate']).toBeUndefined();
      expect(response.ms).toBeLessThan(timeout + 1000);
      // While down, a token that is invalid on its face is still a 401.
      const none = await me(await issuer.mintJwt({}, { unsigned: 'none' }));
      expect(none.status).toBe(401);
      // Within the backoff no new attempt is made: the next answer is immediate.
      const second = await me(token);
      expect(second.status).toBe(503);
      expect(second.ms).toBeLessThan(timeout);
      await issuer.comeBack();
      offset += 5001;
      expect((await me(token)).status).toBe(200);
    },
  );

  it('keeps accepting tokens signed by cached keys when the JWKS goes down after warm-up', async () => {
    expect((await me(await issuer.mintJwt({}, { expiresIn: 3600 }))).status).toBe(200);
    await issuer.goDown('refuse');
    expect((await me(await issuer.mintJwt({}, { expiresIn: 3600 }))).status).toBe(200);
    // Even once the keys are stale (background refresh fails), they stay in use.
    offset += 301_000;
    expect((await me(await issuer.mintJwt({}, { expiresIn: 3600 }))).status).toBe(200);
    expect((await me(await issuer.mintJwt({}, { expiresIn: 3600 }))).status).toBe(200);
  });

  it('answers 503 for an unknown kid when the JWKS cannot be fetched to look for it', async () => {
    expect((await me(await issuer.mintJwt())).status).toBe(200);
    await issuer.rotateKeys({ alg: 'ES256' });
    const rotated = await issuer.mintJwt();
    await issuer.goDown('refuse');
    offset += 5001;
    const response = await me(rotated);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
  });
});
