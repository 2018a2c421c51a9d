import { auditEvent } from '../audit.js';
import type { AuditSink } from '../audit.js';
import type { ThrottledLog } from '../logger.js';
import type { ResourceServerMetrics } from '../operations/metrics.js';
import type { ResolvedOptions } from '../options.js';
import { recordTelemetry, telemetryActive } from '../telemetry.js';
import type { Route } from './route.js';
import type { DecisionState } from './state.js';

/**
 * Records one decision: the decision counter (when metrics are on), the audit event (allow
 * events per the route's `auditAllowed`, else sampled per the `auditAllowed` option;
 * refusals and 503s always) and the OpenTelemetry span, each independent of the others.
 * Never the token: the event is built from the principal and the request's description.
 */
export class DecisionRecorder {
  readonly #sink: AuditSink | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly log: ThrottledLog,
    private readonly metrics?: ResourceServerMetrics,
  ) {
    this.#sink = options.audit;
  }

  /**
   * True when an allow on `route` would be recorded at all (a sink that takes its events, a
   * recording span, or metrics).
   */
  wantsAllow(route?: Route): boolean {
    return (route?.auditAllowed !== false && this.#sinkOpen()) || telemetryActive() || this.metrics?.active === true;
  }

  record(state: DecisionState): void {
    const refused = state.outcome === 'refuse';
    const metrics = this.metrics;
    if (metrics !== undefined && metrics.active) {
      const error = state.error;
      metrics.decision(refused ? (error!.status === 503 ? 'unavailable' : 'deny') : state.outcome === 'anonymous' ? 'anonymous' : 'allow', refused ? error!.code : undefined);
    }
    const sink = this.#sinkOpen() && (refused || this.#allowAudited(state.route)) ? this.#sink : undefined;
    const traced = telemetryActive();
    if (sink === undefined && !traced) return;
    const request = state.describe();
    const event = auditEvent(request, { principal: state.principal, error: state.error, status: refused ? state.error!.status : 200 }, this.options.now);
    if (traced) recordTelemetry(event, performance.timeOrigin + request.startedAt);
    if (sink === undefined) return;
    try {
      sink(event);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : 'unknown error';
      this.log.error('audit-sink', `The audit sink threw (${reason}); events may be missing`);
    }
  }

  #sinkOpen(): boolean {
    const sink = this.#sink;
    return sink !== undefined && sink.enabled?.() !== false;
  }

  #allowAudited(route: Route): boolean {
    const own = route.auditAllowed;
    if (own !== undefined) return own;
    const rate = this.options.auditAllowedRate;
    return rate === 1 || (rate > 0 && Math.random() < rate);
  }
}
