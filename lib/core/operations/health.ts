import type { DiscoveryState } from '../discovery.js';
import type { IntrospectionState } from '../introspection/introspector.js';
import type { JwksState } from '../jwks.js';
import type { ShedReason } from './metrics.js';
import type { FailureCode } from './upstream-report.js';

/** A failure as a health snapshot shows it. */
export interface FailureSnapshot {
  readonly code: FailureCode;
  /** The cause in words (URLs, statuses, issuer values; never a token). */
  readonly message: string;
  /** ISO 8601. */
  readonly at: string;
}

/** One value loaded from the issuer (discovery document, JWKS). */
export interface SourceHealth {
  /** Where it is read from, when known. */
  readonly url: string | undefined;
  readonly loaded: boolean;
  /** Time since the last successful load, ms. */
  readonly ageMs: number | undefined;
  /** Loaded and not due for a refresh (the JWKS: younger than its freshness; discovery: loaded). */
  readonly fresh: boolean;
  /** The last attempt failed. */
  readonly failing: boolean;
  /** Time since the first failure after the last success, ms. */
  readonly failingForMs: number | undefined;
  /** The last failure, also after a later success. */
  readonly lastFailure: FailureSnapshot | undefined;
}

/** The JWKS, with how long its keys count as fresh. */
export interface JwksHealth extends SourceHealth {
  /** How long keys are used before a background refresh, ms (the issuer's max-age, bounded by `jwks.maxAge`). */
  readonly freshForMs: number;
}

/** Introspection at one issuer. */
export interface IntrospectionHealth {
  /** The endpoint, once resolved (explicit, or from discovery). */
  readonly endpoint: string | undefined;
  /** Whether the endpoint last accepted this API's client credentials. */
  readonly credentials: 'unknown' | 'accepted' | 'refused';
  readonly lastAcceptedAt: string | undefined;
  readonly lastRefusedAt: string | undefined;
  /** Set while no call is made after a refusal (`introspection.clientErrorBackoff`): callers get 503. */
  readonly backoffUntil: string | undefined;
  readonly failing: boolean;
  readonly failingForMs: number | undefined;
  readonly lastFailure: FailureSnapshot | undefined;
  /** Calls refused without being made since start, by reason. */
  readonly shed: Readonly<Record<ShedReason, number>>;
  readonly inFlight: number;
}

/** One trusted issuer. */
export interface IssuerHealth {
  readonly issuer: string;
  readonly ready: boolean;
  /** Why it is not ready, in words; empty when ready. */
  readonly problems: readonly string[];
  /** `undefined` when discovery is not used (`jwksUri` and `introspection.endpoint` set). */
  readonly discovery: SourceHealth | undefined;
  readonly jwks: JwksHealth;
  /** `undefined` without `introspection`. */
  readonly introspection: IntrospectionHealth | undefined;
}

/** What a cache or revocation list says about its store (Redis: the connection's state); see `RevocationList.health`. */
export interface StoreHealth {
  readonly reachable: boolean;
  /** The client's own state, e.g. ioredis' `"ready"`, `"reconnecting"`. */
  readonly status?: string;
  /** Where the store is (`redis://host:port/db`), never a password. */
  readonly endpoint?: string;
}

/**
 * A snapshot of what the resource server depends on, for readiness probes and dashboards.
 * Plain data (JSON-serializable); taking it does no I/O.
 */
export interface ResourceServerHealth {
  /**
   * Every issuer's keys are loaded and nothing it needs has been failing for longer than
   * `health.tolerance`; where `introspection` is configured, its endpoint is known and its
   * credentials are not refused; a revocation list with `revocationUnavailable:
   * 'fail-closed'` is reachable (when it can tell).
   */
  readonly ready: boolean;
  /** ISO 8601. */
  readonly time: string;
  readonly issuers: readonly IssuerHealth[];
  /** The revocation list's store, when the list can tell (`health()`); `undefined` otherwise. */
  readonly revocation: StoreHealth | undefined;
}

/** What {@link issuerHealth} judges. Times are epoch ms. */
export interface IssuerHealthInput {
  readonly issuer: string;
  readonly discovery: DiscoveryState | undefined;
  readonly jwks: JwksState;
  readonly introspection: (IntrospectionState & { readonly configuredEndpoint: string | undefined }) | undefined;
  readonly now: number;
  /** How long a source may keep failing before the issuer is not ready, ms. */
  readonly toleranceMs: number;
}

/** The health of one issuer from the states of its parts. */
export function issuerHealth(input: IssuerHealthInput): IssuerHealth {
  const { now, toleranceMs } = input;
  const problems: string[] = [];
  const tolerance = `${Math.round(toleranceMs / 1000)} s ("health.tolerance")`;

  let discovery: SourceHealth | undefined;
  if (input.discovery !== undefined) {
    const state = input.discovery;
    discovery = source(state.url, state.loadedAt, state.lastFailure, state.failingSince, now, () => true);
    if (discovery.failing && (discovery.failingForMs ?? 0) >= toleranceMs) {
      problems.push(`the discovery document has been failing for more than ${tolerance}: ${state.lastFailure?.message ?? 'unavailable'}`);
    }
  }

  const keys = input.jwks;
  const jwks: JwksHealth = {
    ...source(keys.url, keys.loadedAt, keys.lastFailure, keys.failingSince, now, (age) => age < keys.freshForMs),
    freshForMs: keys.freshForMs,
  };
  if (!jwks.loaded) {
    problems.push(jwks.lastFailure === undefined ? 'the JWKS is not loaded yet' : `the JWKS is not loaded: ${jwks.lastFailure.message} [${jwks.lastFailure.code}]`);
  } else if (jwks.failing && (jwks.failingForMs ?? 0) >= toleranceMs) {
    problems.push(`the JWKS has been failing for more than ${tolerance} (the cached keys are ${Math.round((jwks.ageMs ?? 0) / 1000)} s old): ${jwks.lastFailure?.message ?? 'unavailable'}`);
  }

  let introspection: IntrospectionHealth | undefined;
  if (input.introspection !== undefined) {
    const state = input.introspection;
    const endpoint = state.endpoint ?? state.configuredEndpoint;
    const failingForMs = state.failingSince === undefined ? undefined : Math.max(0, now - state.failingSince);
    introspection = {
      endpoint,
      credentials: state.credentials,
      lastAcceptedAt: iso(state.lastAcceptedAt),
      lastRefusedAt: iso(state.lastRefusedAt),
      backoffUntil: iso(state.backoffUntil),
      failing: state.failingSince !== undefined,
      failingForMs,
      lastFailure: failure(state.lastFailure),
      shed: state.shed,
      inFlight: state.inFlight,
    };
    if (endpoint === undefined) problems.push('the introspection endpoint is not known yet (from discovery, or "introspection.endpoint")');
    if (state.backoffUntil !== undefined) problems.push(`the introspection endpoint refused this API's client credentials; no call is made until ${introspection.backoffUntil}`);
    else if (failingForMs !== undefined && failingForMs >= toleranceMs) problems.push(`introspection has been failing for more than ${tolerance}: ${state.lastFailure?.message ?? 'unavailable'}`);
  }

  return { issuer: input.issuer, ready: problems.length === 0, problems, discovery, jwks, introspection };
}

function source(
  url: string | undefined,
  loadedAt: number | undefined,
  lastFailure: { readonly code: FailureCode; readonly message: string; readonly at: number } | undefined,
  failingSince: number | undefined,
  now: number,
  fresh: (ageMs: number) => boolean,
): SourceHealth {
  const ageMs = loadedAt === undefined ? undefined : Math.max(0, now - loadedAt);
  return {
    url,
    loaded: loadedAt !== undefined,
    ageMs,
    fresh: ageMs !== undefined && fresh(ageMs),
    failing: failingSince !== undefined,
    failingForMs: failingSince === undefined ? undefined : Math.max(0, now - failingSince),
    lastFailure: failure(lastFailure),
  };
}

function failure(value: { readonly code: FailureCode; readonly message: string; readonly at: number } | undefined): FailureSnapshot | undefined {
  return value === undefined ? undefined : { code: value.code, message: value.message, at: new Date(value.at).toISOString() };
}

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}
