import type { AuditEvent } from './audit.js';

/** The few parts of `@opentelemetry/api` used here, typed locally so it stays an optional peer. */
interface OtelSpan {
  isRecording(): boolean;
  setAttributes(attributes: Record<string, string | number | boolean | string[]>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(endTime?: Date): void;
}
interface OtelApi {
  /** The metrics API (`@opentelemetry/api` 1.4+); read by `operations/metrics.ts`. */
  metrics?: unknown;
  createNoopMeter?: () => unknown;
  trace: {
    getTracer(name: string, version?: string): { startSpan(name: string, options?: { startTime?: Date }): OtelSpan };
    getActiveSpan(): OtelSpan | undefined;
  };
}

const SPAN_STATUS_ERROR = 2;
// A variable specifier: bundlers and TypeScript leave the optional peer alone.
const OTEL_API = '@opentelemetry/api';
let api: OtelApi | undefined;
let loading: Promise<void> | undefined;

/** Starts loading `@opentelemetry/api` once, if it is installed; nothing happens otherwise. */
export function loadTelemetry(): Promise<void> {
  loading ??= import(OTEL_API).then(
    (module: OtelApi & { default?: OtelApi }) => {
      api = module.trace ? module : module.default;
    },
    () => undefined,
  );
  return loading;
}

/**
 * The loaded `@opentelemetry/api` module, or `undefined` while it is loading or when it is
 * not installed. For the metrics (`operations/metrics.ts`), which type what they read.
 */
export function loadedOtelApi(): { readonly metrics?: unknown; readonly createNoopMeter?: () => unknown } | undefined {
  return api;
}

/**
 * True when `@opentelemetry/api` is loaded and the request runs inside a recording span
 * (an SDK is registered and the framework is instrumented); otherwise recording would only
 * feed no-op spans, so it is skipped.
 */
export function telemetryActive(): boolean {
  return api !== undefined && api.trace.getActiveSpan()?.isRecording() === true;
}

/**
 * Reports one decision to OpenTelemetry, when its API is installed: end-user attributes on
 * the active (request) span — `enduser.id` and `user.roles`, per the semantic conventions —
 * and an `auth` span that covers the authentication and authorization step. An actor
 * (impersonation, token exchange) is recorded on the auth span as
 * `zitadel_resource_server.actor.id` and `zitadel_resource_server.actor.issuer`.
 */
export function recordTelemetry(event: AuditEvent, startedAtEpochMs: number): void {
  if (!api) return;
  const { trace } = api;
  const userAttributes: Record<string, string | string[]> = {};
  if (event.subject !== undefined) userAttributes['enduser.id'] = event.subject;
  if (event.roles.length > 0) userAttributes['user.roles'] = [...event.roles];
  trace.getActiveSpan()?.setAttributes(userAttributes);
  // The auth span is a child of the active (request) span.

  const span = trace.getTracer('zitadel-resource-server').startSpan('zitadel-resource-server auth', { startTime: new Date(startedAtEpochMs) });
  const attributes: Record<string, string | number> = {
    'zitadel_resource_server.decision': event.decision,
    'http.response.status_code': event.status,
  };
  if (event.reason) attributes['zitadel_resource_server.reason'] = event.reason;
  if (event.verifiedBy) attributes['zitadel_resource_server.verified_by'] = event.verifiedBy;
  if (event.tokenKind) attributes['zitadel_resource_server.token_kind'] = event.tokenKind;
  if (event.clientId) attributes['zitadel_resource_server.client_id'] = event.clientId;
  if (event.organizationId) attributes['zitadel_resource_server.organization_id'] = event.organizationId;
  if (event.actor) {
    attributes['zitadel_resource_server.actor.id'] = event.actor.subject;
    if (event.actor.issuer) attributes['zitadel_resource_server.actor.issuer'] = event.actor.issuer;
  }
  span.setAttributes({ ...userAttributes, ...attributes });
  if (event.decision === 'unavailable') span.setStatus({ code: SPAN_STATUS_ERROR, message: event.reason ?? 'unavailable' });
  span.end(new Date(startedAtEpochMs + event.durationMs));
}
