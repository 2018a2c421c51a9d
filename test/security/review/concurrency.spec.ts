/**
 * Attack: concurrency while the first verification is in flight. Many parallel requests,
 * several callers, several routes, first-seen tokens (JWKS / introspection in flight):
 * every answer must be the one for its own token and route, and there must be exactly one
 * audit event per request, each naming its own caller.
 */
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { APP_KINDS, startApp } from '../../support/apps.js';
import type { RunningApp } from '../../support/apps.js';
import { get } from '../../support/send.js';
import { AuditRecorder } from '../../support/audit-sink.js';
import { testKeys } from '../../support/test-keys.js';

describe.each(APP_KINDS)('parallel requests on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  const audit = new AuditRecorder();
  const events = audit.events;

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = await startApp(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      logger: { warn: () => undefined, error: () => undefined },
      audit: audit.sink,
    });
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('never mixes up callers or routes while verifications are in flight', async () => {
    issuer.setLatency(100);
    const admin = await issuer.mintJwt({ sub: 'admin-user', ...issuer.roleClaims(['orders.admin', 'orders.read']) });
    const plain = await issuer.mintJwt({ sub: 'plain-user' });
    const opaqueAdmin = issuer.mintOpaque({ sub: 'opaque-admin', ...issuer.roleClaims(['orders.admin', 'orders.read']), scope: 'orders:read' });
    const opaquePlain = issuer.mintOpaque({ sub: 'opaque-plain' });
    const revoked = await issuer.mintJwt({ sub: 'revoked-user', ...issuer.roleClaims(['orders.read']) });
    issuer.revoke(revoked);
    const cases: [string, string, string, number][] = [];
    for (let i = 0; i < 6; i += 1) {
      cases.push(
        ['admin-user', admin, '/admin', 200],
        ['plain-user', plain, '/admin', 403],
        ['admin-user', admin, '/me', 200],
        ['plain-user', plain, '/me', 200],
        ['opaque-admin', opaqueAdmin, '/orders', 200],
        ['opaque-plain', opaquePlain, '/orders', 403],
        ['opaque-admin', opaqueAdmin, '/active', 200],
        ['revoked-user', revoked, '/active', 401],
        ['revoked-user', revoked, '/me', 200], // a locally verified JWT: revocation lag by design
      );
    }
    events.length = 0;
    const responses = await Promise.all(cases.map(([, token, path]) => get(`${app.url}${path}`, token)));
    issuer.setLatency(0);
    const wrong = responses
      .map((response, i) => ({ i, who: cases[i]![0], path: cases[i]![2], expected: cases[i]![3], status: response.status, subject: (response.body as { subject?: string } | undefined)?.subject }))
      .filter((r) => r.status !== r.expected || (r.status === 200 && r.subject !== r.who));
    expect(wrong).toEqual([]);
    await audit.waitFor(cases.length);
    expect(events).toHaveLength(cases.length);
    // Per (subject, path, status), the events match the requests one to one (a JWT refused
    // on /active by introspection still names its verified subject).
    const key = (subject: string | undefined, path: string, status: number) => `${subject ?? '-'} ${path} ${status}`;
    const expected = cases.map(([who, , path, status]) => key(who, path, status)).sort();
    const seen = events.map((e) => key(e.subject, e.route.path, e.status)).sort();
    expect(seen).toEqual(expected);
  });
});
