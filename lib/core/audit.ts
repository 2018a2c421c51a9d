import { randomUUID } from 'node:crypto';
import { AuthError, ResourceServerOptionsError } from './errors.js';
import type { AuthErrorCode } from './errors.js';
import type { Principal, TokenKind, VerifiedBy } from './principal.js';

/** The route a decision was made for. */
export interface AuditRoute {
  readonly method: string;
  /** The route template (`/orgs/:orgId/orders`), when the framework knows it. */
  readonly template: string | undefined;
  /** The path requested, without the query string. */
  readonly path: string;
}

/**
 * One event per decision, versioned. Never contains the token: `tokenId` is the `jti` or a
 * short hash.
 */
export interface AuditEvent {
  readonly version: 1;
  /** ISO 8601. */
  readonly time: string;
  readonly decision: 'allow' | 'deny' | 'unavailable';
  /** The error code; absent on allow. */
  readonly reason?: AuthErrorCode;
  readonly status: number;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
  readonly organizationId: string | undefined;
  readonly tokenId: string | undefined;
  readonly verifiedBy: VerifiedBy | undefined;
  readonly tokenKind: TokenKind | undefined;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  /**
   * Who acted on behalf of `subject` (impersonation, token exchange: the token's `act`
   * claim, see `Principal.actor`); absent when nobody did.
   */
  readonly actor?: { readonly subject: string; readonly issuer: string | undefined };
  readonly route: AuditRoute;
  readonly requestId: string;
  readonly ip: string | undefined;
  readonly durationMs: number;
}

/**
 * Receives audit events. Must not throw (errors are swallowed and logged once). An optional
 * `enabled()` lets a sink say it would drop events anyway (e.g. its logger is off), so none
 * are built.
 */
export type AuditSink = ((event: AuditEvent) => void) & { readonly enabled?: () => boolean };

/** What an adapter knows about the request. */
export interface AuditRequest {
  readonly route: AuditRoute;
  /** `x-request-id` if present. */
  readonly requestId: string | undefined;
  readonly ip: string | undefined;
  /** `performance.now()` when the auth step started. */
  readonly startedAt: number;
}

/** The second of the last event and its ISO 8601 text up to the seconds (`2026-12-02T04:50:07`). */
let lastSecond = Number.NaN;
let lastSecondText = '';

/**
 * `new Date(ms).toISOString()`, without building the date for every event: the text up to
 * the seconds is kept for the second it belongs to, the milliseconds are appended.
 */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const text = new Date(second * 1000).toISOString();
    // Years beyond 9999 or before 0 have a longer form: no shortcut for them.
    if (text.length !== 24) return new Date(ms).toISOString();
    lastSecond = second;
    lastSecondText = text.slice(0, 19);
  }
  const millis = ms - second * 1000;
  return `${lastSecondText}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${Math.floor(millis)}Z`;
}

/** Builds the event of one decision. */
export function auditEvent(
  request: AuditRequest,
  outcome: { readonly principal?: Principal | undefined; readonly error?: unknown; readonly status?: number },
  now: () => number,
): AuditEvent {
  const { principal, error } = outcome;
  const authError = error instanceof AuthError ? error : undefined;
  const decision = error === undefined ? 'allow' : authError?.status === 503 || !authError ? 'unavailable' : 'deny';
  return {
    version: 1,
    time: isoTime(now()),
    decision,
    ...(error === undefined ? {} : { reason: authError?.code ?? 'ERR_ISSUER_UNAVAILABLE' }),
    status: outcome.status ?? authError?.status ?? (error === undefined ? 200 : 503),
    subject: principal?.subject,
    clientId: principal?.clientId,
    organizationId: principal?.organizationId,
    tokenId: principal?.tokenId,
    verifiedBy: principal?.verifiedBy,
    tokenKind: principal?.tokenKind,
    scopes: principal?.scopes ?? [],
    roles: principal ? Object.keys(principal.roles) : [],
    ...(principal?.actor ? { actor: { subject: principal.actor.subject, issuer: principal.actor.issuer } } : {}),
    route: request.route,
    requestId: request.requestId ?? randomUUID(),
    ip: request.ip,
    durationMs: Math.round((performance.now() - request.startedAt) * 1000) / 1000,
  };
}

/** Options of {@link jsonLinesAuditSink}. */
export interface JsonLinesAuditSinkOptions {
  /**
   * Most events held before they are written: when reached, the batch is written at once
   * (nothing is dropped). Default 1,000; from 1 to 100,000.
   */
  readonly maxBuffered?: number;
  /**
   * Longest an event waits before its batch is written, in milliseconds. `0`: the batch is
   * written on the next turn of the event loop. Default 10, from 0 to 1,000. Every write to
   * stdout is a system call (a synchronous one for pipes and files on Linux): at a few
   * thousand requests per second, one write per 10 ms instead of one per turn is several
   * times fewer (see bench/README.md). The buffer is written out before the process exits.
   */
  readonly maxDelayMs?: number;
}

/** The sink {@link jsonLinesAuditSink} returns: an {@link AuditSink} whose buffer can be written out now. */
export type JsonLinesAuditSink = AuditSink & {
  /** Writes the events still buffered, now (also done before the process exits). */
  readonly flush: () => void;
};

interface FlushRegistry {
  readonly pending: Set<() => void>;
}

/**
 * The flush of every sink, shared by every copy of this module in the process (one pair of
 * process listeners, however many sinks): buffered events are written out before the
 * process exits. Sinks are made once per server or middleware, not per request.
 */
function flushRegistry(): FlushRegistry {
  const key = Symbol.for('zitadel-resource-server.audit.pending');
  const holder = process as unknown as Record<symbol, FlushRegistry | undefined>;
  let registry = holder[key];
  if (registry === undefined) {
    const created: FlushRegistry = { pending: new Set() };
    registry = created;
    holder[key] = created;
    const flushAll = () => {
      for (const flush of [...created.pending]) flush();
    };
    process.on('beforeExit', flushAll);
    process.on('exit', flushAll);
  }
  return registry;
}

/** Characters `JSON.stringify` leaves raw that log readers and terminals act on. */
const LINE_UNSAFE = /[\u007f-\u009f\u2028\u2029]/;
const LINE_UNSAFE_ALL = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * An audit event as one line of JSON that stays one line wherever it is read. `JSON.stringify`
 * escapes the C0 controls but not DEL, the C1 controls (U+0085 NEL, which Unicode-aware line
 * splitters break on; U+009B, an 8-bit CSI some terminals obey) or U+2028/U+2029, and the
 * caller controls some fields (`path`, `requestId`): those characters are written as `\uXXXX`
 * escapes, so `JSON.parse` gives the same event back.
 */
export function auditLine(event: AuditEvent): string {
  const json = JSON.stringify(event);
  return LINE_UNSAFE.test(json) ? json.replace(LINE_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/**
 * An audit sink that writes one JSON line per event to a stream (default: stdout), ready
 * for a log shipper. Events are buffered and written together, in one `write` at most every
 * `maxDelayMs` (10 ms), so a request does not pay for a write to stdout of its own; the
 * buffer is bounded (`maxBuffered`: a full buffer is written at once) and written out before
 * the process exits. Lines keep the order of the decisions.
 *
 * @example
 * const audit = jsonLinesAuditSink(process.stdout, { maxBuffered: 500 });
 * const rs = createResourceServer({ issuer, audience, audit });
 */
export function jsonLinesAuditSink(stream: { write(chunk: string): unknown } = process.stdout, options: JsonLinesAuditSinkOptions = {}): JsonLinesAuditSink {
  const max = options.maxBuffered ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > 100_000) throw new ResourceServerOptionsError('"maxBuffered" option of jsonLinesAuditSink() must be an integer from 1 to 100000');
  const delay = options.maxDelayMs ?? 10;
  if (!Number.isInteger(delay) || delay < 0 || delay > 1000) throw new ResourceServerOptionsError('"maxDelayMs" option of jsonLinesAuditSink() must be an integer from 0 to 1000');
  const registry = flushRegistry();
  let buffer: AuditEvent[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (buffer.length === 0) return;
    const events = buffer;
    buffer = [];
    let text = '';
    for (const event of events) text += `${auditLine(event)}\n`;
    stream.write(text);
  };
  const sink = (event: AuditEvent): void => {
    buffer.push(event);
    if (buffer.length >= max) {
      flush();
      return;
    }
    if (scheduled) return;
    scheduled = true;
    // unref: a pending batch does not keep the process alive (it is written at exit).
    if (delay === 0) setImmediate(flushScheduled);
    else setTimeout(flushScheduled, delay).unref();
  };
  // A write that throws in the scheduled flush must not become an uncaught exception.
  const flushScheduled = (): void => {
    if (!scheduled) return;
    try {
      flush();
    } catch {
      // The stream refused the batch (closed); nothing else can be done with it.
    }
  };
  // Registered once (an empty buffer costs nothing at exit): no work per batch.
  registry.pending.add(flush);
  return Object.assign(sink, { flush });
}

/**
 * Writes out what the server's audit sink holds, if it buffers (a {@link jsonLinesAuditSink}
 * has `flush()`): for an adapter's shutdown hook (Nest's `app.close()`, Fastify's `onClose`).
 * An app closed on SIGTERM is often ended by the signal itself afterwards (Nest's shutdown
 * hooks re-raise it), and then no `exit` listener runs.
 */
export function flushAudit(audit: AuditSink | undefined): void {
  const flush = (audit as { flush?: unknown } | undefined)?.flush;
  if (typeof flush !== 'function') return;
  try {
    (flush as () => void).call(audit);
  } catch {
    // A closed stream: nothing else can be done with the batch at shutdown.
  }
}
