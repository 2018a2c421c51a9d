/** Validation of the introspection limits, and that they take effect once the options module passes them. */
import { ResourceServerOptionsError } from '../../../lib/core/errors.js';
import { DEFAULT_INTROSPECTION_LIMITS, resolveIntrospectionLimits } from '../../../lib/core/introspection/introspection-options.js';
import type { IntrospectionLimitOptions } from '../../../lib/core/introspection/introspection-options.js';
import { ThrottledLog } from '../../../lib/core/logger.js';
import { resolveOptions } from '../../../lib/core/options.js';
import { hashToken } from '../../../lib/core/token-hash.js';
import { TrustedIssuer } from '../../../lib/core/trusted-issuer.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer, silent } from '../support/fake-issuer.js';
import type { Answer } from '../support/fake-issuer.js';
import { zitadelPat } from '../support/zitadel-tokens.js';

function messageOf(options: unknown, prefix?: string): string {
  try {
    resolveIntrospectionLimits(options as IntrospectionLimitOptions, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ResourceServerOptionsError);
    expect((error as ResourceServerOptionsError).code).toBe('ERR_INVALID_OPTIONS');
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveIntrospectionLimits', () => {
  it('fills in the defaults: 8 calls at once, 100 never-seen tokens per second, 60 s backoff', () => {
    expect(resolveIntrospectionLimits(undefined)).toEqual({ maxConcurrent: 8, maxNewPerSecond: 100, clientErrorBackoff: 60_000 });
    expect(resolveIntrospectionLimits({})).toEqual(DEFAULT_INTROSPECTION_LIMITS);
    expect(Object.isFrozen(resolveIntrospectionLimits({ maxConcurrent: 2 }))).toBe(true);
  });

  it('is idempotent, and ignores the other introspection options', () => {
    const once = resolveIntrospectionLimits({ maxConcurrent: 3, maxNewPerSecond: 7, clientErrorBackoff: 45_000, cacheMax: 5 } as IntrospectionLimitOptions);
    expect(resolveIntrospectionLimits(once)).toEqual({ maxConcurrent: 3, maxNewPerSecond: 7, clientErrorBackoff: 45_000 });
  });

  it.each([
    [{ maxConcurrent: 0 }, '"introspection.maxConcurrent" option must be an integer from 1 to 256 (upstream calls in flight at once), got 0'],
    [{ maxConcurrent: 1.5 }, '"introspection.maxConcurrent" option must be an integer from 1 to 256'],
    [{ maxConcurrent: '8' }, '"introspection.maxConcurrent" option must be an integer from 1 to 256'],
    [{ maxNewPerSecond: 0 }, '"introspection.maxNewPerSecond" option must be an integer from 1 to 100000 (introspections of never-seen tokens per second), got 0'],
    [{ maxNewPerSecond: Number.POSITIVE_INFINITY }, '"introspection.maxNewPerSecond" option must be an integer'],
    [{ clientErrorBackoff: 1000 }, '"introspection.clientErrorBackoff" option must be an integer from 30000 to 3600000 (milliseconds), got 1000'],
    [{ clientErrorBackoff: 29_999 }, 'from 30000 to 3600000'],
    ['fast', '"introspection" option must be an object'],
  ])('refuses %j, quoting the option', (options, expected) => {
    expect(messageOf(options)).toContain(expected);
  });

  it('quotes the option path it is given (several issuers)', () => {
    expect(messageOf({ maxConcurrent: 0 }, 'issuers[1].introspection.')).toContain('"issuers[1].introspection.maxConcurrent"');
  });

  it('takes effect in the trusted issuer: maxConcurrent 2 keeps one slot for known tokens', async () => {
    const time = clock();
    const fake = await createFakeIssuer({ now: time.now });
    const held: (() => void)[] = [];
    fake.introspection = () => new Promise<Answer>((resolve) => held.push(() => resolve({ body: { active: false } })));
    const options = resolveOptions({
      issuer: ISSUER,
      audience: PROJECT,
      fetch: fake.fetch,
      now: time.now,
      logger: silent,
      introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's' } },
    });
    const config = { ...options.issuers[0]!, introspection: { ...options.issuers[0]!.introspection!, maxConcurrent: 2, maxNewPerSecond: 5 } };
    const trusted = new TrustedIssuer(config, options, new ThrottledLog(silent, 60_000, time.now));
    const ask = (token: string, known = false) => trusted.introspect(token, hashToken(token), undefined, { known });
    const first = ask(zitadelPat());
    await expect(ask(zitadelPat())).rejects.toMatchObject({ status: 503, retryAfter: 1 });
    const knownCall = ask(zitadelPat(), true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.calls.introspection).toBe(2);
    for (const release of held.splice(0)) release();
    await expect(first).resolves.toEqual({ active: false });
    await expect(knownCall).resolves.toEqual({ active: false });
    // 5 never-seen tokens per second: 1 spent above, 4 left.
    fake.introspection = () => ({ body: { active: false } });
    for (let i = 0; i < 4; i += 1) await ask(zitadelPat());
    await expect(ask(zitadelPat())).rejects.toMatchObject({ status: 503, retryAfter: 1 });
  });
});
