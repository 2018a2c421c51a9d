import type { AuthErrorCode } from '../errors.js';
import type { TokenKind } from '../principal.js';
import { loadedOtelApi, loadTelemetry } from '../telemetry.js';

/** The few parts of the OpenTelemetry metrics API used here, typed locally (optional peer). */
type Attributes = Readonly<Record<string, string | number>>;
interface OtelCounter {
  add(value: number, attributes?: Attributes): void;
}
interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}
interface OtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): OtelCounter;
  createHistogram(name: string, options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } }): OtelHistogram;
}
interface OtelMetricsApi {
  getMeter(name: string, version?: string): OtelMeter;
}

/** Which upstream a call or a failure was about. */
export type UpstreamKind = 'discovery' | 'jwks' | 'introspection' | 'revocation';
/** How a token was verified: a cached verdict, a signature against the JWKS, or introspection. */
export type VerificationSource = 'cached' | 'jwks' | 'introspection';
/** The outcome of one decision, as counted. */
export type DecisionOutcome = 'allow' | 'anonymous' | 'deny' | 'unavailable';
/** Why a JWKS fetch was made. */
export type JwksRefreshReason = 'initial' | 'unknown_kid' | 'stale' | 'warm_up';
/** Why an introspection call was refused without being made. */
export type ShedReason = 'concurrency' | 'rate' | 'queue' | 'backoff';

/** Metric names: OpenTelemetry semantic conventions where they exist, this package's namespace otherwise. */
export const METRIC = Object.freeze({
  decisions: 'zitadel_resource_server.decisions',
  verifications: 'zitadel_resource_server.token.verifications',
  cacheLookups: 'zitadel_resource_server.cache.lookups',
  upstreamDuration: 'http.client.request.duration',
  upstreamErrors: 'zitadel_resource_server.upstream.errors',
  jwksRefreshes: 'zitadel_resource_server.jwks.refreshes',
  shed: 'zitadel_resource_server.introspection.shed',
});

const NS = 'zitadel_resource_server';
/** The semantic conventions' advice for `http.client.request.duration`, seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

interface Instruments {
  readonly decisions: OtelCounter;
  readonly verifications: OtelCounter;
  readonly cacheLookups: OtelCounter;
  readonly upstreamDuration: OtelHistogram;
  readonly upstreamErrors: OtelCounter;
  readonly jwksRefreshes: OtelCounter;
  readonly shed: OtelCounter;
}

/**
 * The resource server's metrics, through the OpenTelemetry metrics API when it is installed
 * and a `MeterProvider` is registered (checked once, when the API is loaded); otherwise
 * every method returns at once and nothing is allocated. Attribute objects of the hot path
 * (decisions, verifications, cache lookups) are built once per combination and reused.
 */
export class ResourceServerMetrics {
  #instruments: Instruments | undefined;
  readonly #decisionAttributes = new Map<DecisionOutcome, Map<string, Attributes>>();
  readonly #verificationAttributes = new Map<string, Attributes>();
  readonly #cacheAttributes = new Map<string, Attributes>();
  /** `server.address`/`server.port` per endpoint URL (a handful: the issuers' endpoints). */
  readonly #servers = new Map<string, { readonly address: string; readonly port: number }>();

  constructor() {
    if (!this.#activate()) void loadTelemetry().then(() => this.#activate());
  }

  /** True when measurements are recorded (a MeterProvider was registered when the API loaded). */
  get active(): boolean {
    return this.#instruments !== undefined;
  }

  /** Counts one decision (`zitadel_resource_server.decisions`). */
  decision(outcome: DecisionOutcome, reason: AuthErrorCode | undefined): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    let byReason = this.#decisionAttributes.get(outcome);
    if (byReason === undefined) {
      byReason = new Map();
      this.#decisionAttributes.set(outcome, byReason);
    }
    const key = reason ?? '';
    let attributes = byReason.get(key);
    if (attributes === undefined) {
      const fresh: Record<string, string> = { [`${NS}.decision`]: outcome };
      if (reason !== undefined) fresh[`${NS}.reason`] = reason;
      attributes = Object.freeze(fresh);
      byReason.set(key, attributes);
    }
    instruments.decisions.add(1, attributes);
  }

  /** Counts how one token was verified (`zitadel_resource_server.token.verifications`). */
  verification(source: VerificationSource, tokenKind: TokenKind): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const key = source === 'cached' ? (tokenKind === 'jwt' ? 'cached-jwt' : 'cached-opaque') : source === 'jwks' ? 'jwks' : tokenKind === 'jwt' ? 'introspection-jwt' : 'introspection-opaque';
    let attributes = this.#verificationAttributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({ [`${NS}.verification.source`]: source, [`${NS}.token_kind`]: tokenKind });
      this.#verificationAttributes.set(key, attributes);
    }
    instruments.verifications.add(1, attributes);
  }

  /** Counts one lookup in a verdict cache (`zitadel_resource_server.cache.lookups`). */
  cacheLookup(cache: 'jwt' | 'introspection', hit: boolean): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const key = cache === 'jwt' ? (hit ? 'jwt-hit' : 'jwt-miss') : hit ? 'introspection-hit' : 'introspection-miss';
    let attributes = this.#cacheAttributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({ [`${NS}.cache.name`]: cache, [`${NS}.cache.result`]: hit ? 'hit' : 'miss' });
      this.#cacheAttributes.set(key, attributes);
    }
    instruments.cacheLookups.add(1, attributes);
  }

  /**
   * Records one HTTP call to the issuer (`http.client.request.duration`, seconds): with the
   * response's status, or the class of error when there was no response (`error.type`: the
   * HTTP status for 4xx/5xx answers, the {@link UpstreamErrorCode} otherwise).
   */
  upstreamRequest(kind: UpstreamKind, url: string, method: string, durationMs: number, status: number | undefined, errorCode: string | undefined): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const server = this.#server(url);
    const attributes: Record<string, string | number> = {
      'http.request.method': method,
      'server.address': server.address,
      'server.port': server.port,
      [`${NS}.upstream.kind`]: kind,
    };
    if (status !== undefined) attributes['http.response.status_code'] = status;
    if (status !== undefined && status >= 400) attributes['error.type'] = String(status);
    else if (errorCode !== undefined) attributes['error.type'] = errorCode;
    instruments.upstreamDuration.record(durationMs / 1000, attributes);
  }

  /** Counts one upstream failure by kind and cause (`zitadel_resource_server.upstream.errors`). */
  upstreamError(kind: UpstreamKind, endpoint: string | undefined, errorType: string): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const attributes: Record<string, string | number> = { [`${NS}.upstream.kind`]: kind, 'error.type': errorType };
    if (endpoint !== undefined && kind !== 'revocation') attributes['server.address'] = this.#server(endpoint).address;
    instruments.upstreamErrors.add(1, attributes);
  }

  /** Counts one JWKS fetch by why it was made and how it ended (`zitadel_resource_server.jwks.refreshes`). */
  jwksRefresh(url: string, reason: JwksRefreshReason, success: boolean): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    instruments.jwksRefreshes.add(1, {
      'server.address': this.#server(url).address,
      [`${NS}.jwks.refresh.reason`]: reason,
      [`${NS}.outcome`]: success ? 'success' : 'failure',
    });
  }

  /** Counts one introspection refused without a call (`zitadel_resource_server.introspection.shed`). */
  shed(reason: ShedReason): void {
    this.#instruments?.shed.add(1, { [`${NS}.shed.reason`]: reason });
  }

  #server(url: string): { readonly address: string; readonly port: number } {
    let server = this.#servers.get(url);
    if (server === undefined) {
      let address = 'unknown';
      let port = 0;
      try {
        const parsed = new URL(url);
        address = parsed.hostname;
        port = parsed.port === '' ? (parsed.protocol === 'http:' ? 80 : 443) : Number(parsed.port);
      } catch {
        // Not a URL: counted under "unknown".
      }
      server = { address, port };
      // Endpoints are configured or discovered: a handful. Bounded all the same.
      if (this.#servers.size < 64) this.#servers.set(url, server);
    }
    return server;
  }

  /** Creates the instruments when the API is loaded and a MeterProvider is registered. */
  #activate(): boolean {
    const api = loadedOtelApi();
    if (api === undefined) return false;
    if (this.#instruments !== undefined) return true;
    const metrics = api.metrics as OtelMetricsApi | undefined;
    if (metrics === undefined || typeof metrics.getMeter !== 'function') return true;
    const meter = metrics.getMeter('zitadel-resource-server');
    // Without a registered provider the API hands out its no-op meter: record nothing at all.
    if (meter === api.createNoopMeter?.() || (meter as { constructor?: { name?: string } }).constructor?.name === 'NoopMeter') return true;
    this.#instruments = {
      decisions: meter.createCounter(METRIC.decisions, { description: 'Decisions on requests, by outcome and reason (the error code)', unit: '{decision}' }),
      verifications: meter.createCounter(METRIC.verifications, { description: 'Tokens verified, by source: a cached verdict, the JWKS, introspection', unit: '{token}' }),
      cacheLookups: meter.createCounter(METRIC.cacheLookups, { description: 'Lookups in the verdict caches (JWT, introspection), by hit or miss', unit: '{lookup}' }),
      upstreamDuration: meter.createHistogram(METRIC.upstreamDuration, {
        description: 'Duration of HTTP calls to the issuer (discovery, JWKS, introspection)',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      upstreamErrors: meter.createCounter(METRIC.upstreamErrors, { description: 'Upstream failures (issuer endpoints, revocation store), by kind and cause', unit: '{error}' }),
      jwksRefreshes: meter.createCounter(METRIC.jwksRefreshes, { description: 'JWKS fetches, by reason and outcome', unit: '{fetch}' }),
      shed: meter.createCounter(METRIC.shed, { description: 'Introspections refused without a call (busy, rate-limited, credentials backoff)', unit: '{request}' }),
    };
    return true;
  }
}
