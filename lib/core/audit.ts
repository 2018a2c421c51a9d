import { randomUUID } from 'node:crypto';
import { AuthError } from './errors.js';
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
    time: new Date(now()).toISOString(),
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

/**
 * An audit sink that writes one JSON line per event to a stream (default: stdout), ready
 * for a log shipper.
 */
export function jsonLinesAuditSink(stream: { write(chunk: string): unknown } = process.stdout): AuditSink {
  return (event) => {
    stream.write(`${JSON.stringify(event)}\n`);
  };
}
