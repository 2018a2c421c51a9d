import type { RequestObserver } from '../http.js';
import type { ThrottledLog } from '../logger.js';
import { ResourceServerMetrics } from './metrics.js';
import type { UpstreamKind } from './metrics.js';
import { UpstreamReporter } from './upstream-report.js';

/**
 * What one resource server tells its operators, shared by its parts: the throttled log, the
 * upstream failure reporter (log line + error count) and the metrics.
 */
export class Operations {
  readonly metrics = new ResourceServerMetrics();
  readonly upstream: UpstreamReporter;

  constructor(
    readonly log: ThrottledLog,
    /** The `timeout` option, ms. */
    timeoutMs: number,
  ) {
    this.upstream = new UpstreamReporter(log, this.metrics, timeoutMs);
  }

  /** An observer of HTTP calls of one kind, for `http.client.request.duration`. */
  observer(kind: Exclude<UpstreamKind, 'revocation'>): RequestObserver {
    const metrics = this.metrics;
    return (url, method, durationMs, status, errorCode) => {
      if (metrics.active) metrics.upstreamRequest(kind, url, method, durationMs, status, errorCode);
    };
  }
}
