import type { AuditEvent } from '../../../lib/core/audit.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { LogCapture } from '../../support/log-capture.js';
import { AuditRecorder } from '../../support/audit-sink.js';
import { testKeys } from '../../support/test-keys.js';

/** One issuer, the options of the app under test, and everything that must never show a token. */
export interface ContextFixture {
  readonly issuer: TestIssuer;
  readonly options: ResourceServerOptions;
  readonly events: AuditEvent[];
  readonly logs: LogCapture;
  /** Every token minted (for the leak check). */
  readonly tokens: string[];
  /** Everything a client saw (for the leak check). */
  readonly seen: unknown[];
  jwt(claims?: Record<string, unknown>): Promise<string>;
  opaque(claims?: Record<string, unknown>): string;
  /** The events recorded so far (waiting briefly for the first), then clears them. */
  takeEvents(count?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function contextFixture(): Promise<ContextFixture> {
  const issuer = await createTestIssuer({ keys: await testKeys() });
  const logs = new LogCapture();
  logs.captureStdio();
  const audit = new AuditRecorder();
  const events = audit.events;
  const tokens: string[] = [];
  const options: ResourceServerOptions = {
    issuer: issuer.issuer,
    audience: 'test-project',
    projectId: 'test-project',
    timeout: 500,
    logger: logs,
    introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
    audit: audit.sink,
  };
  return {
    issuer,
    options,
    events,
    logs,
    tokens,
    seen: [],
    async jwt(claims = {}) {
      const token = await issuer.mintJwt(claims);
      tokens.push(token);
      return token;
    },
    opaque(claims = {}) {
      const token = issuer.mintOpaque(claims);
      tokens.push(token);
      return token;
    },
    async takeEvents(count = 1) {
      // Fewer than `count` events after a second: the caller's assertion says what is missing.
      await audit.waitFor(count, 1000).catch(() => undefined);
      return events.splice(0, events.length);
    },
    async close() {
      logs.restore();
      await issuer.close();
    },
  };
}

/** No token in anything a client saw, in any log line, or in any audit event. */
export function expectNoTokenLeak(fixture: ContextFixture, events: readonly AuditEvent[] = []): void {
  const haystack = [fixture.logs.text(), JSON.stringify(fixture.seen, replacer), JSON.stringify(events)].join('\n');
  for (const token of fixture.tokens) {
    expect(haystack.includes(token)).toBe(false);
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { ...value, name: value.name, message: value.message, stack: value.stack };
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}
