/**
 * JWKS freshness follows the issuer's Cache-Control max-age (issue 14), bounded by the
 * cooldown below and jwks.maxAge above; the unknown-kid refresh and its cooldown stay.
 * Injected fetch and clock.
 */
import { maxAgeFromCacheControl } from '../../lib/core/cache-control.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { ISSUER, PROJECT, clock, createFakeIssuer, silent } from './support/fake-issuer.js';

async function setup(cacheControl: string | undefined, options: Partial<ResourceServerOptions> = {}) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const serve = issuer.jwks;
  issuer.jwks = () => ({ ...serve(), headers: cacheControl === undefined ? {} : ({ 'cache-control': cacheControl } as Record<string, string>) });
  const rs = createResourceServer({ issuer: ISSUER, audience: PROJECT, jwksUri: `${ISSUER}/oauth/v2/keys`, logger: silent, fetch: issuer.fetch, now: time.now, jwtCacheMax: 0, ...options });
  /** One verification at `atMs` after the start; resolves once any background refresh it started is done. */
  const verifyAt = async (atMs: number) => {
    time.set(start + atMs);
    await rs.authenticate(`Bearer ${await issuer.mintJwt()}`);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const start = time.now();
  return { issuer, verifyAt, time, rs };
}

describe('maxAgeFromCacheControl', () => {
  it.each([
    ['max-age=300, must-revalidate', 300_000],
    ['public, MAX-AGE=60', 60_000],
    ['max-age="120"', 120_000],
    ['no-store', 0],
    ['max-age=600, no-cache', 0],
    ['max-age=0', 0],
    ['max-age=-1', undefined],
    ['max-age=abc', undefined],
    ['max-age', undefined],
    ['s-maxage=30', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j', (header, expected) => {
    expect(maxAgeFromCacheControl(header)).toBe(expected);
  });
});

describe('JWKS freshness', () => {
  it('refetches the JWKS per the max-age the issuer sends (max-age=60)', async () => {
    const { issuer, verifyAt } = await setup('max-age=60, must-revalidate');
    await verifyAt(0);
    expect(issuer.calls.jwks).toBe(1);
    await verifyAt(59_999);
    expect(issuer.calls.jwks).toBe(1);
    await verifyAt(60_000);
    expect(issuer.calls.jwks).toBe(2);
    await verifyAt(60_001);
    await verifyAt(119_999);
    expect(issuer.calls.jwks).toBe(2);
    await verifyAt(120_000);
    expect(issuer.calls.jwks).toBe(3);
  });

  it("follows ZITADEL's default max-age=300 without extra fetches in between", async () => {
    const { issuer, verifyAt } = await setup('max-age=300, must-revalidate', { jwks: { maxAge: 3_600_000 } });
    await verifyAt(0);
    for (const at of [10_000, 100_000, 299_000]) await verifyAt(at);
    expect(issuer.calls.jwks).toBe(1);
    await verifyAt(300_000);
    expect(issuer.calls.jwks).toBe(2);
  });

  it('never keeps keys longer than jwks.maxAge, whatever max-age says', async () => {
    const { issuer, verifyAt } = await setup('max-age=86400', { jwks: { maxAge: 120_000 } });
    await verifyAt(0);
    await verifyAt(119_000);
    expect(issuer.calls.jwks).toBe(1);
    await verifyAt(120_000);
    expect(issuer.calls.jwks).toBe(2);
  });

  it('never refetches more often than the cooldown, even for no-store or max-age=0', async () => {
    for (const header of ['no-store', 'max-age=0']) {
      const { issuer, verifyAt } = await setup(header);
      await verifyAt(0);
      await verifyAt(1000);
      await verifyAt(4999);
      expect(issuer.calls.jwks).toBe(1);
      await verifyAt(5000);
      expect(issuer.calls.jwks).toBe(2);
    }
  });

  it('uses jwks.maxAge when the issuer sends no Cache-Control (as before)', async () => {
    const { issuer, verifyAt } = await setup(undefined);
    await verifyAt(0);
    await verifyAt(299_999);
    expect(issuer.calls.jwks).toBe(1);
    await verifyAt(300_000);
    expect(issuer.calls.jwks).toBe(2);
  });

  it('keeps the unknown-kid refresh and its cooldown within a long max-age', async () => {
    const { issuer, time, rs } = await setup('max-age=3600');
    const start = time.now();
    await rs.authenticate(`Bearer ${await issuer.mintJwt()}`);
    const unknown = await issuer.mintJwt({}, { kid: 'rotated-key' });
    time.set(start + 10_000);
    await expect(rs.authenticate(`Bearer ${unknown}`)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND', status: 401 });
    expect(issuer.calls.jwks).toBe(2);
    time.set(start + 12_000);
    await expect(rs.authenticate(`Bearer ${unknown}`)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    expect(issuer.calls.jwks).toBe(2);
    time.set(start + 15_000);
    await expect(rs.authenticate(`Bearer ${unknown}`)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    expect(issuer.calls.jwks).toBe(3);
  });

  it('keeps verifying with the cached keys when the refresh after max-age fails', async () => {
    const { issuer, verifyAt } = await setup('max-age=60');
    await verifyAt(0);
    issuer.jwks = () => ({ status: 500, body: { error: 'down' } });
    await verifyAt(61_000);
    expect(issuer.calls.jwks).toBe(2);
    await verifyAt(62_000);
    await verifyAt(66_000);
    expect(issuer.calls.jwks).toBe(3);
  });
});
