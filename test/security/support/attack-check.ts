/**
 * What every attack case asserts, at core level and over HTTP alike: the exact status and
 * challenge, the JSON body, the one audit event, and nothing secret or internal in the answer.
 */
import type { AuditEvent } from '../../../lib/core/audit.js';
import type { AttackCase, AttackRequest, Expectation } from './corpus.js';
import type { AppKind } from '../../support/app-kinds.js';
import { findLeaks } from './leaks.js';

/** Tokens a request carries, wherever they are: they must never be echoed. */
export function tokensOf(request: AttackRequest): string[] {
  const found = [...(request.secrets ?? [])];
  for (const [name, value] of request.headers ?? []) {
    const match = name.toLowerCase() === 'authorization' ? /^\S+\s+(.+)$/s.exec(value) : null;
    if (match?.[1]) found.push(match[1].trim());
  }
  if (request.raw) {
    const text = request.raw.toString('latin1');
    for (const match of text.matchAll(/Authorization: \S+\s(.+)/gi)) found.push(match[1]!.trim());
  }
  return found;
}

/** The expectation of a case on `kind` (`'core'`: the case's kind-independent expectation). */
export function expectationFor(attack: AttackCase, kind: AppKind): Expectation {
  return typeof attack.expect === 'function' ? attack.expect(kind) : attack.expect;
}

/** True when the case can run on the core without a framework: a header-level request on a known route. */
export function runsAtCore(attack: AttackCase, request: AttackRequest, hasRoute: (method: string, path: string) => boolean): boolean {
  if (typeof attack.expect === 'function' || request.raw !== undefined) return false;
  // Refusals by Node's HTTP parser never reach the core.
  if (attack.expect.audited === false) return false;
  return hasRoute(request.method ?? 'GET', request.path ?? '/me');
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: unknown;
  /** Everything the answer showed, for the leak check. */
  readonly text: string;
}

/** The response-side assertions of one case. `statusCodeInBody`: every adapter but Express sends `statusCode`. */
export function checkAnswer(expected: Expectation, answer: Answer, secrets: readonly string[], statusCodeInBody: boolean): void {
  const challenge = answer.headers['www-authenticate'];
  const body = (answer.body ?? {}) as Record<string, unknown>;
  // Status and challenge, compared together for a readable failure.
  expect({
    status: answer.status,
    ...(expected.challenge === undefined ? {} : { challenge: challenge ?? null }),
  }).toEqual({
    status: expected.status,
    ...(expected.challenge === undefined ? {} : { challenge: expected.challenge }),
  });
  if (expected.challengeIncludes !== undefined) expect(challenge).toContain(expected.challengeIncludes);
  if (expected.description !== undefined) {
    const error = /error="([a-z_]+)"/.exec(String(challenge))?.[1];
    expect(body).toMatchObject({ error, error_description: expected.description });
    if (statusCodeInBody) expect(body.statusCode).toBe(expected.status);
  }
  if (expected.status === 503) expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  if (expected.subject !== undefined) expect(body.subject).toBe(expected.subject);
  // Nothing secret or internal in the answer, and no header smuggled into it.
  expect(answer.headers['x-injected']).toBeUndefined();
  expect(findLeaks(answer.text, secrets)).toEqual([]);
}

/** The audit side: one event per decision, saying what was decided (none when `audited` is false). */
export function checkAudit(expected: Expectation, status: number, events: readonly AuditEvent[]): void {
  if (!(expected.audited ?? true)) {
    expect(events).toHaveLength(0);
    return;
  }
  expect(events).toHaveLength(1);
  const event = events[0]!;
  // The event's status is the auth decision's: the refusal's status, or 200 for a caller let
  // through (whatever the handler answers after, e.g. 404 for no route).
  const refused = [400, 401, 403, 503].includes(status);
  expect(event.status).toBe(refused ? status : 200);
  if (!refused) {
    expect(event.decision).toBe('allow');
    expect(event.reason).toBeUndefined();
  } else {
    expect(event.decision).toBe(status === 503 ? 'unavailable' : 'deny');
    if (expected.code !== undefined) expect(event.reason).toBe(expected.code);
  }
}
