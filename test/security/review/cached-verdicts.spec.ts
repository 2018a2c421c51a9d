/**
 * Attack: the synchronous path on cached verdicts. The same token is sent again after
 * something changed that only a per-request check can see: the revocation list, the clock,
 * the issuer (for active-token routes), the revocation list being down. Every app kind.
 * (These held; kept as regression tests.)
 */
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { MemoryRevocationList } from '../../../lib/core/revocation.js';
import type { RevocationCheck, RevocationList, RevocationTarget } from '../../../lib/core/revocation.js';
import { APP_KINDS, startApp } from '../../support/apps.js';
import type { RunningApp } from '../../support/apps.js';
import { get } from '../../support/send.js';
import { testKeys } from '../../support/test-keys.js';

class FlakyList implements RevocationList {
  readonly inner = new MemoryRevocationList();
  down = false;
  isRevoked(check: RevocationCheck): boolean {
    if (this.down) throw new Error('redis down');
    return this.inner.isRevoked(check);
  }
  revoke(target: RevocationTarget): void {
    this.inner.revoke(target);
  }
}

describe.each(APP_KINDS)('cached verdicts on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  const list = new FlakyList();
  let skew = 0;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = await startApp(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      revocation: list,
      now: () => Date.now() + skew,
      logger: { warn: () => undefined, error: () => undefined },
      audit: false,
    });
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });
  beforeEach(() => {
    skew = 0;
    list.down = false;
  });

  const status = async (path: string, token: string) => {
    const response = await get(`${app.url}${path}`, token);
    return [response.status, (response.body as { subject?: string | null } | undefined)?.subject ?? null];
  };

  it.each(['jwt', 'opaque'])('a %s revoked in the list after it was cached is refused on every route', async (shape) => {
    const claims = { jti: `jti-${kind}-${shape}`, sub: `sub-${shape}`, ...issuer.roleClaims(['orders.admin', 'orders.read']) };
    const token = shape === 'jwt' ? await issuer.mintJwt(claims) : issuer.mintOpaque(claims);
    expect(await status('/admin', token)).toEqual([200, `sub-${shape}`]);
    list.revoke({ jti: `jti-${kind}-${shape}` });
    for (let i = 0; i < 2; i += 1) {
      expect(await status('/admin', token)).toEqual([401, null]);
      expect(await status('/me', token)).toEqual([401, null]);
      expect(await status('/public', token)).toEqual([200, null]);
    }
  });

  it('a cached JWT past its exp is refused (clock moved, cache not trusted)', async () => {
    const token = await issuer.mintJwt({}, { expiresIn: 30 });
    expect((await get(`${app.url}/me`, token)).status).toBe(200);
    skew = 60_000;
    expect((await get(`${app.url}/me`, token)).status).toBe(401);
  });

  it('an active-token route re-introspects a cached JWT once its answer is over 1 s old', async () => {
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
    expect((await get(`${app.url}/active`, token)).status).toBe(200);
    expect((await get(`${app.url}/me`, token)).status).toBe(200);
    issuer.revoke(token);
    skew = 2_000;
    expect((await get(`${app.url}/active`, token)).status).toBe(401);
    expect((await get(`${app.url}/active`, token)).status).toBe(401);
  });

  it('with the revocation list down, an active-token route answers 503 (fail closed), other routes go on', async () => {
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
    expect((await get(`${app.url}/me`, token)).status).toBe(200);
    list.down = true;
    expect((await get(`${app.url}/me`, token)).status).toBe(200);
    const active = await get(`${app.url}/active`, token);
    expect(active.status).toBe(503);
    expect(active.headers['retry-after']).toBeDefined();
  });

  it('the issuer down: a cached JWT on an active-token route and a scope-less JWT on a scope route are 503, never 401 or 200', async () => {
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']), { introspectionScope: 'orders:read' });
    expect((await get(`${app.url}/orders`, token)).status).toBe(200);
    const fresh = await issuer.mintJwt(issuer.roleClaims(['orders.read']), { introspectionScope: 'orders:read' });
    expect((await get(`${app.url}/me`, fresh)).status).toBe(200); // cached JWT, never introspected
    await issuer.goDown('refuse');
    try {
      skew = 2_000;
      for (const [path, t] of [['/active', token], ['/active', fresh], ['/orders', fresh]] as const) {
        const response = await get(`${app.url}${path}`, t);
        expect([path, response.status]).toEqual([path, 503]);
        expect(response.headers['retry-after']).toMatch(/^\d+$/);
      }
    } finally {
      await issuer.comeBack();
    }
  });
});
