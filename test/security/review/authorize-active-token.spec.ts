/**
 * Attack: keep using a revoked token through `rs.authorize(principal, { activeToken: true })`.
 *
 * `authenticate()` / `authorize()` keep a detached copy of each decision; `authorize()`
 * refines a copy of it (`refine(previous, route, true)`). `DecisionState.copy()` carries the
 * `fresh` flag, and `ensureFreshness` skips the introspection when `state.fresh` is set. So
 * once a principal came out of an active-token check, every later
 * `authorize(thatPrincipal, { activeToken: true })` reuses that old introspection answer
 * forever: no upstream call, a revoked token (or a removed role) still passes. The previous
 * version introspected on every `authorize()` with `activeToken` (answers at most 1 s old).
 */
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { ResourceServer } from '../../../lib/core/resource-server.js';
import type { AuthError } from '../../../lib/core/errors.js';
import { testKeys } from '../../support/test-keys.js';

describe('authorize() with activeToken on a principal from an earlier active-token decision', () => {
  let issuer: TestIssuer;
  let rs: ResourceServer;
  let clock = Date.now();

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    rs = createResourceServer({
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      logger: { warn: () => undefined, error: () => undefined },
      audit: false,
      now: () => clock,
    });
  });
  afterAll(() => issuer.close());
  beforeEach(() => {
    clock = Date.now();
  });

  async function refusal(promise: Promise<unknown>): Promise<[string, number] | 'allowed'> {
    try {
      await promise;
      return 'allowed';
    } catch (error) {
      return [(error as AuthError).code, (error as AuthError).status];
    }
  }

  it('authenticate(h, { activeToken }) then, after revocation, authorize(p, { activeToken }) is refused', async () => {
    const token = await issuer.mintJwt({ sub: 'long-lived-worker', ...issuer.roleClaims(['orders.admin']) });
    const principal = await rs.authenticate(`Bearer ${token}`, { activeToken: true });
    issuer.revoke(token);
    clock += 5_000; // well past the 1 s an active-token answer may be reused
    issuer.resetCounts();
    const outcome = await refusal(rs.authorize(principal, { activeToken: true, roles: [{ anyOf: ['orders.admin'] }] }));
    // Expected: a fresh introspection says inactive → 401 ERR_TOKEN_INACTIVE.
    // Observed: allowed, without any introspection call.
    expect({ outcome, introspections: issuer.requests.introspection }).toEqual({ outcome: ['ERR_TOKEN_INACTIVE', 401], introspections: 1 });
  });

  it('the principal authorize(p, { activeToken }) returned cannot be re-checked either', async () => {
    const token = issuer.mintOpaque({ sub: 'pat-user', ...issuer.roleClaims(['orders.admin']) });
    const first = await rs.authenticate(`Bearer ${token}`);
    const checked = await rs.authorize(first, { activeToken: true }); // "the principal to use from then on"
    issuer.revoke(token);
    clock += 60_000; // the opaque token's 30 s cache entry is long gone too
    issuer.resetCounts();
    const outcome = await refusal(rs.authorize(checked, { activeToken: true }));
    expect({ outcome, introspections: issuer.requests.introspection }).toEqual({ outcome: ['ERR_TOKEN_INACTIVE', 401], introspections: 1 });
  });

  it('a role removed at the issuer still counts on a re-checked principal', async () => {
    // The introspection answer for an opaque token carries the roles; the first answer had
    // orders.admin. A token the issuer no longer knows as active stands for "role removed".
    const token = issuer.mintOpaque({ sub: 'demoted', ...issuer.roleClaims(['orders.admin']) });
    const checked = await rs.authenticate(`Bearer ${token}`, { activeToken: true, roles: [{ anyOf: ['orders.admin'] }] });
    issuer.revoke(token);
    clock += 3_600_000; // an hour later
    const outcome = await refusal(rs.authorize(checked, { activeToken: true, roles: [{ anyOf: ['orders.admin'] }] }));
    expect(outcome).toEqual(['ERR_TOKEN_INACTIVE', 401]);
  });
});

/**
 * authorize() refines a detached copy of the authenticate() decision from the route steps
 * on: it never re-reads the revocation list nor re-checks `exp`. The README says
 * authenticate()/authorize() "go through the same pipeline as the adapters (DPoP binding,
 * revocation, audit included)". (The previous version did not re-check either: not a
 * regression, but the documented guarantee does not hold.)
 */
describe('authorize() on a principal kept from an earlier authenticate()', () => {
  let issuer: TestIssuer;
  let rs: ResourceServer;
  let clock = Date.now();

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    const { MemoryRevocationList } = await import('../../../lib/core/revocation.js');
    rs = createResourceServer({
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      revocation: new MemoryRevocationList(),
      logger: { warn: () => undefined, error: () => undefined },
      audit: false,
      now: () => clock,
    });
  });
  afterAll(() => issuer.close());
  // The server's clock is the real one at each test's start (not at import: a runner imports
  // every spec of its directory before the first test runs).
  beforeEach(() => {
    clock = Date.now();
  });

  it('is refused once the token is in the revocation list', async () => {
    const token = await issuer.mintJwt({ jti: 'kept-1', ...issuer.roleClaims(['orders.admin']) });
    const principal = await rs.authenticate(`Bearer ${token}`);
    await rs.revoke({ jti: 'kept-1' });
    await expect(rs.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    // Observed: resolves.
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] })).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED', status: 401 });
  });

  it('is refused once the token has expired', async () => {
    clock = Date.now();
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.admin']), { expiresIn: 60 });
    const principal = await rs.authenticate(`Bearer ${token}`);
    clock += 10 * 60_000;
    await expect(rs.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    // Observed: resolves, ten minutes after exp.
    await expect(rs.authorize(principal, { roles: [{ anyOf: ['orders.admin'] }] })).rejects.toMatchObject({ status: 401 });
  });
});
