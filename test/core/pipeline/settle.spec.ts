/**
 * An open route's allow is recorded when the adapter settles the request. Adapters call
 * `settle` from the response's `close` listener, registered with `on`: a second call (a
 * second `close`, or an adapter that settles twice) must not record a second event.
 */
import { createResourceServer, createRoute } from '../../../lib/core/kernel/index.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { AuditRecorder } from '../../support/audit-sink.js';
import { testKeys } from '../../support/test-keys.js';

describe('settling an open route', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(() => issuer.close());

  it('records the allow once, however often settle is called', async () => {
    const audit = new AuditRecorder();
    const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: audit.sink });
    const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']));
    const decision = await rs.decide({ http: { headers: { authorization: `Bearer ${token}` } } }, createRoute({ open: true }));
    expect(decision.outcome).toBe('allow');
    expect(audit.events).toHaveLength(0);
    expect(decision.settle).toBeInstanceOf(Function);
    decision.settle!();
    decision.settle!();
    expect(audit.events.map((event) => [event.decision, event.status])).toEqual([['allow', 200]]);
  });
});
