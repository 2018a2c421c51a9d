/**
 * Issue 14: a refused introspection client is remembered for a backoff instead of being
 * retried per request. Injected fetch and clock; no sockets, no sleeps.
 */
import { IssuerUnavailableError } from '../../../lib/core/errors.js';
import { resolveOptions } from '../../../lib/core/options.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { ThrottledLog } from '../../../lib/core/logger.js';
import { TrustedIssuer } from '../../../lib/core/trusted-issuer.js';
import { hashToken } from '../../../lib/core/token-hash.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer, patAnswer } from '../support/fake-issuer.js';
import type { Answer } from '../support/fake-issuer.js';
import { zitadelOpaqueToken, zitadelPat } from '../support/zitadel-tokens.js';

const UNAUTHORIZED_CLIENT: Answer = { status: 400, body: { error: 'unauthorized_client', error_description: 'client must be authenticated' } };
const INVALID_CLIENT: Answer = { status: 401, body: { error: 'invalid_client' } };

async function setup() {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now });
  const logs: string[] = [];
  const rs = createResourceServer({
    issuer: ISSUER,
    audience: PROJECT,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    fetch: issuer.fetch,
    now: time.now,
    introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'wrong' } },
  });
  return { time, issuer, logs, rs };
}

async function refusal(promise: Promise<unknown>): Promise<IssuerUnavailableError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerUnavailableError);
    return error as IssuerUnavailableError;
  }
  throw new Error('expected a 503');
}

describe('misconfiguration backoff', () => {
  it.each([
    ['400 unauthorized_client (what ZITADEL answers)', UNAUTHORIZED_CLIENT],
    ['401 invalid_client (RFC 6749)', INVALID_CLIENT],
  ])('after %s: 503 with Retry-After = the remaining backoff, and no upstream call during it', async (_name, answer) => {
    const { time, issuer, rs } = await setup();
    issuer.introspection = () => answer;
    const first = await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    expect(first).toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503, retryAfter: 60 });
    expect(issuer.calls.introspection).toBe(1);

    time.advance(15_000);
    const tokens = [zitadelPat(), zitadelOpaqueToken(), zitadelPat()];
    for (const token of tokens) {
      expect((await refusal(rs.authenticate(`Bearer ${token}`))).retryAfter).toBe(45);
    }
    time.advance(44_500);
    expect((await refusal(rs.authenticate(`Bearer ${zitadelPat()}`))).retryAfter).toBe(1);
    expect(issuer.calls.introspection).toBe(1);
    expect(rs.toErrorResponse(first).headers).toEqual({ 'retry-after': '60' });
  });

  it('after the backoff exactly one call probes; when it is refused again, a new backoff starts', async () => {
    const { time, issuer, rs } = await setup();
    issuer.introspection = () => UNAUTHORIZED_CLIENT;
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    time.advance(60_000);

    // While the probe is in flight, everyone else gets 503 at once.
    let answerProbe: (answer: Answer) => void = () => undefined;
    issuer.introspection = () => new Promise<Answer>((resolve) => (answerProbe = resolve));
    const probe = refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    await new Promise((resolve) => setImmediate(resolve));
    const others = await Promise.all([zitadelPat(), zitadelPat(), zitadelOpaqueToken()].map((t) => refusal(rs.authenticate(`Bearer ${t}`))));
    expect(others.map((e) => e.retryAfter)).toEqual([1, 1, 1]);
    expect(issuer.calls.introspection).toBe(2);
    answerProbe(UNAUTHORIZED_CLIENT);
    expect((await probe).retryAfter).toBe(60);

    time.advance(30_000);
    expect((await refusal(rs.authenticate(`Bearer ${zitadelPat()}`))).retryAfter).toBe(30);
    expect(issuer.calls.introspection).toBe(2);
  });

  it('is over as soon as the probe is answered with the credentials accepted', async () => {
    const { time, issuer, rs } = await setup();
    issuer.introspection = () => UNAUTHORIZED_CLIENT;
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    time.advance(60_000);
    issuer.introspection = () => ({ body: patAnswer(time.now()) });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    expect(issuer.calls.introspection).toBe(3);
  });

  it('keeps serving answers cached before the refusal', async () => {
    const { issuer, rs, time } = await setup();
    const known = zitadelPat();
    issuer.introspection = () => ({ body: patAnswer(time.now()) });
    await rs.authenticate(`Bearer ${known}`);
    issuer.introspection = () => UNAUTHORIZED_CLIENT;
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    await expect(rs.authenticate(`Bearer ${known}`)).resolves.toMatchObject({ subject: '294900000000000001' });
  });

  it('logs once, naming the fix: introspection.auth and the API application client id', async () => {
    const { issuer, rs, logs, time } = await setup();
    issuer.introspection = () => UNAUTHORIZED_CLIENT;
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    time.advance(1000);
    await refusal(rs.authenticate(`Bearer ${zitadelPat()}`));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('"introspection.auth"');
    expect(logs[0]).toContain(API_CLIENT_ID);
    expect(logs[0]).toContain('key file');
    expect(logs[0]).toContain('unauthorized_client');
    expect(logs[0]).not.toContain('wrong');
  });

  it('follows introspection.clientErrorBackoff once the options module passes it', async () => {
    const time = clock();
    const fake = await createFakeIssuer({ now: time.now });
    fake.introspection = () => UNAUTHORIZED_CLIENT;
    const options = resolveOptions({
      issuer: ISSUER,
      audience: PROJECT,
      fetch: fake.fetch,
      now: time.now,
      introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'x' } },
    });
    const config = { ...options.issuers[0]!, introspection: { ...options.issuers[0]!.introspection!, clientErrorBackoff: 120_000 } };
    const trusted = new TrustedIssuer(config, options, new ThrottledLog({ warn: () => undefined, error: () => undefined }, 60_000, time.now));
    const token = zitadelPat();
    expect((await refusal(trusted.introspect(token, hashToken(token)))).retryAfter).toBe(120);
    time.advance(60_000);
    expect((await refusal(trusted.introspect(token, hashToken(token)))).retryAfter).toBe(60);
    expect(fake.calls.introspection).toBe(1);
  });
});
