import { auditEvent } from '../audit.js';
import type { AuditSink } from '../audit.js';
import type { ThrottledLog } from '../logger.js';
import type { ResolvedOptions } from '../options.js';
import { recordTelemetry, telemetryActive } from '../telemetry.js';
import type { DecisionState } from './state.js';

/**
 * Records one decision: the audit event (allow events sampled per `auditAllowed`; refusals
 * and 503s always) and the OpenTelemetry span, each independent of the other. Never the
 * token: the event is built from the principal and the request's description.
 */
export class DecisionRecorder {
  readonly #sink: AuditSink | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly log: ThrottledLog,
  ) {
    this.#sink = options.audit;
  }

  /** True when an allow would be recorded at all (a sink that takes events, or a recording span). */
  wantsAllow(): boolean {
    return this.#sinkOpen() || telemetryActive();
  }

  record(state: DecisionState): void {
    const refused = state.outcome === 'refuse';
    const sink = this.#sinkOpen() && (refused || this.#sampleAllowed()) ? this.#sink : undefined;
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

  #sampleAllowed(): boolean {
    const rate = this.options.auditAllowedRate;
    return rate === 1 || (rate > 0 && Math.random() < rate);
  }
}
