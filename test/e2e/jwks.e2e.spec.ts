/**
 * The transport side of JWKS handling on every app kind: the unknown-kid refusal and the
 * rotated-in key, and the 503 of an outage, as each framework writes them (status,
 * `WWW-Authenticate`, `Retry-After`, body). The behaviour itself (cooldown, floods of kids,
 * every outage mode, cached keys after warm-up) is tested once at core level:
 * test/core/jwks-refresh.spec.ts.
 */
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import { APP_KINDS, isExpress, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { LogCapture } from '../support/log-capture.js';
import { get } from '../support/send.js';
import { testKeys } from '../support/test-keys.js';

const TIMEOUT_MS = 1000;

describe.each(APP_KINDS)('JWKS handling on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  let offset = 0;
  const now = () => Date.now() + offset;
  const logs = new LogCapture();

  beforeEach(async () => {
    offset = 0;
    issuer = await createTestIssuer({ now, keys: await testKeys() });
    app = await startApp(
      kind,
      { issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', timeout: TIMEOUT_MS, now, logger: logs },
      logs,
    );
  });

  afterEach(async () => {
    await app.close();
    await issuer.close();
  });

  const me = (token: string) => get(`${app.url}/me`, token);

  it('refuses a rotated-in key within the cooldown with the unknown-key challenge, accepts it after', async () => {
    expect((await me(await issuer.mintJwt())).status).toBe(200);
    // An EC key: generated in a millisecond (RSA rotation is covered at core level).
    await issuer.rotateKeys({ alg: 'ES256' });
    const rotated = await issuer.mintJwt();
    issuer.resetCounts();
    const early = await me(rotated);
    expect(early.status).toBe(401);
    expect(early.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The token was signed with an unknown key"');
    expect(early.body).toMatchObject({ error: 'invalid_token', error_description: 'The token was signed with an unknown key', ...(isExpress(kind) ? {} : { statusCode: 401 }) });
    expect(issuer.requests.jwks).toBe(0);
    offset += 5001;
    expect((await me(rotated)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('answers 503 with Retry-After and no challenge when the issuer is down at cold start', async () => {
    const token = await issuer.mintJwt();
    await issuer.goDown('refuse');
    const response = await me(token);
    expect(response.status).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable', ...(isExpress(kind) ? {} : { statusCode: 503 }) });
    expect(response.text).not.toContain(token);
    // While down, a token that is invalid on its face is still a 401.
    expect((await me(await issuer.mintJwt({}, { unsigned: 'none' }))).status).toBe(401);
  });
});
