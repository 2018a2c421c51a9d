import { randomBytes } from 'node:crypto';
import { createTestIssuer } from '../../lib/testing/index.js';
import type { TestIssuer } from '../../lib/testing/index.js';
import type { AuditEvent } from '../../lib/core/audit.js';
import { APP_KINDS, startApp } from '../support/apps.js';
import type { RunningApp } from '../support/apps.js';
import { get, send } from '../support/send.js';
import { AuditRecorder } from '../support/audit-sink.js';
import { testKeys } from '../support/test-keys.js';

describe.each(APP_KINDS)('audit events on %s', (kind) => {
  let issuer: TestIssuer;
  let app: RunningApp;
  const audit = new AuditRecorder();
  const events = audit.events;
  const tokens: string[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
    app = await startApp(kind, {
      issuer: issuer.issuer,
      audience: 'test-project',
      projectId: 'test-project',
      timeout: 500,
      logger: { warn: () => undefined, error: () => undefined },
      introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
      audit: audit.sink,
    });
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });
  beforeEach(() => {
    events.length = 0;
  });

  /** The one event of the last request (Express emits allows when the response finishes). */
  async function lastEvent(): Promise<AuditEvent> {
    await audit.waitFor(1);
    expect(events).toHaveLength(1);
    return events[0]!;
  }

  it('records an allowed call with who called what', async () => {
    const token = await issuer.mintJwt({ jti: 'jti-allow-1', ...issuer.roleClaims(['orders.admin']) });
    tokens.push(token);
    await send(`${app.url}/admin?x=1`, { headers: [['authorization', `Bearer ${token}`], ['x-request-id', 'req-42']] });
    const event = await lastEvent();
    expect(event).toMatchObject({
      version: 1,
      decision: 'allow',
      status: 200,
      subject: '200000000000000001',
      clientId: 'service-user-client',
      organizationId: '100000000000000001',
      tokenId: 'jti-allow-1',
      verifiedBy: 'jwks',
      tokenKind: 'jwt',
      roles: ['orders.admin'],
      route: { method: 'GET', template: '/admin', path: '/admin' },
      requestId: 'req-42',
    });
    expect(event.reason).toBeUndefined();
    expect(typeof event.time).toBe('string');
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(event.ip).toMatch(/127\.0\.0\.1/);
  });

  const refusals: [string, number, () => Promise<string | undefined>][] = [
    ['ERR_TOKEN_MISSING', 401, async () => undefined],
    ['ERR_TOKEN_EXPIRED', 401, async () => issuer.mintJwt({}, { expiresIn: -60 })],
    ['ERR_ALG_NOT_ALLOWED', 401, async () => issuer.mintJwt({}, { unsigned: 'none' })],
    ['ERR_TOKEN_INACTIVE', 401, async () => randomBytes(53).toString('base64url')],
    ['ERR_ROLE_INSUFFICIENT', 403, async () => issuer.mintJwt()],
  ];
  it.each(refusals)('records a refusal with reason %s', async (reason, status, makeToken) => {
    const token = await makeToken();
    if (token) tokens.push(token);
    await get(`${app.url}/admin`, token);
    const event = await lastEvent();
    expect(event).toMatchObject({ version: 1, decision: 'deny', reason, status, route: { method: 'GET', path: '/admin' } });
    if (status === 403) expect(event.subject).toBe('200000000000000001');
    expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records a 503 as unavailable', async () => {
    const token = issuer.mintOpaque();
    tokens.push(token);
    await issuer.goDown('refuse');
    try {
      expect((await get(`${app.url}/me`, token)).status).toBe(503);
    } finally {
      await issuer.comeBack();
    }
    expect(await lastEvent()).toMatchObject({ decision: 'unavailable', reason: 'ERR_ISSUER_UNAVAILABLE', status: 503 });
  });

  it('records the short token hash, never the token', async () => {
    const token = issuer.mintOpaque({ jti: undefined });
    tokens.push(token);
    await get(`${app.url}/me`, token);
    const event = await lastEvent();
    expect(event.tokenId).toMatch(/^sha256:[A-Za-z0-9_-]{16}$/);
  });

  afterAll(() => {
    const text = JSON.stringify(events);
    for (const token of tokens) expect(text).not.toContain(token);
  });
});
