import { IssuerUnavailableError, UpstreamError } from '../errors.js';
import type { ThrottledLog } from '../logger.js';
import type { ResourceServerMetrics, UpstreamKind } from './metrics.js';

/** One upstream failure, as the component that saw it describes it. */
export interface UpstreamFailure {
  readonly kind: UpstreamKind;
  /** What failed, in words: `"The JWKS of https://acme.zitadel.cloud cannot be fetched"`. */
  readonly subject: string;
  /** The URL called (or the store's address); never carries a token. */
  readonly endpoint: string | undefined;
  readonly cause: unknown;
  /** What callers get meanwhile: `"every JWT gets 503 with Retry-After: 5"`. */
  readonly consequence: string;
  /** `'error'` for what an operator must fix or that stops requests; default `'warn'`. */
  readonly level?: 'warn' | 'error';
}

/** What a failure is filed under in health snapshots and metrics. */
export type FailureCode = UpstreamError['code'] | 'ERR_ISSUER_UNAVAILABLE' | 'ERR_REDIS_UNAVAILABLE' | 'ERR_UNKNOWN';

/**
 * Reports upstream failures to operators: one log line per kind and endpoint per interval
 * (the {@link ThrottledLog}'s), naming the endpoint, the cause and what callers get, and
 * one count in `zitadel_resource_server.upstream.errors` per failure (never throttled).
 * Nothing here sees a token: lines are built from URLs, error codes and statuses, and the
 * words upstream answers put in an error are cut short and stripped of control characters.
 */
export class UpstreamReporter {
  constructor(
    private readonly log: ThrottledLog,
    private readonly metrics: ResourceServerMetrics,
    /** The `timeout` option, ms: named in timeout causes. */
    private readonly timeoutMs: number,
  ) {}

  /** Logs (throttled) and counts one failure. */
  report(failure: UpstreamFailure): void {
    const code = failureCode(failure.cause);
    this.metrics.upstreamError(failure.kind, failure.endpoint, code);
    const where = failure.endpoint === undefined ? '' : ` (${safeText(failure.endpoint, 300)})`;
    const message = `${failure.subject}${where}: ${describeCause(failure.cause, this.timeoutMs)} [${code}]. ${capitalize(failure.consequence)}.`;
    const key = `upstream ${failure.kind} ${failure.endpoint ?? failure.subject}`;
    if (failure.level === 'error') this.log.error(key, message);
    else this.log.warn(key, message);
  }
}

/** The stable code a failure is filed under (health snapshots, `error.type` of the errors counter). */
export function failureCode(cause: unknown): FailureCode {
  if (cause instanceof UpstreamError) return cause.code;
  if (cause instanceof IssuerUnavailableError) return 'ERR_ISSUER_UNAVAILABLE';
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  if (code === 'ERR_REDIS_UNAVAILABLE') return code;
  return 'ERR_UNKNOWN';
}

/**
 * The cause of a failure in an operator's words: connection refused, timeout (after how
 * long), the HTTP status, an answer that is not what was expected, an issuer mismatch with
 * both values.
 */
export function describeCause(cause: unknown, timeoutMs: number): string {
  if (cause instanceof UpstreamError) {
    const message = safeText(cause.message, 400);
    switch (cause.code) {
      case 'ERR_UPSTREAM_TIMEOUT':
        return `no answer within ${timeoutMs} ms ("timeout" option): ${message}`;
      case 'ERR_UPSTREAM_UNREACHABLE':
        return `cannot connect: ${message}`;
      case 'ERR_UPSTREAM_STATUS':
        return `HTTP ${cause.status ?? '?'}: ${message}`;
      case 'ERR_UPSTREAM_RESPONSE':
        return `invalid answer: ${message}`;
      case 'ERR_UPSTREAM_ISSUER_MISMATCH':
        return `issuer mismatch: ${message}`;
      case 'ERR_UPSTREAM_CLIENT_REFUSED':
        return `client credentials refused: ${message}`;
    }
  }
  if (cause instanceof Error) return safeText(cause.message === '' ? cause.name : cause.message, 400);
  return 'unknown error';
}

/** Text from an upstream or an error, fit for one log line: no control characters, bounded. */
export function safeText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function capitalize(text: string): string {
  return text === '' ? text : text[0]!.toUpperCase() + text.slice(1);
}

/** `Retry-After` seconds for a wait of `ms` (as {@link IssuerUnavailableError} computes it). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
