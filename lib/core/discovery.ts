import { IssuerUnavailableError } from './errors.js';
import { requestJson, UpstreamError } from './http.js';
import type { FetchLike, RequestObserver } from './http.js';
import { Refresher } from './refresher.js';
import type { RefreshFailure } from './refresher.js';
import { discoveredEndpointProblem } from './url.js';

/** An endpoint read from the discovery document: its URL, or why it must not be used. */
export type DiscoveredEndpoint =
  | { readonly url: string; readonly problem?: undefined }
  | { readonly url: undefined; readonly problem: string };

/** What the package needs from the issuer's discovery document. */
export interface IssuerEndpoints {
  readonly jwksUri: DiscoveredEndpoint;
  readonly introspectionEndpoint: DiscoveredEndpoint;
}

/** The discovery metadata names this package reads. */
export type EndpointName = 'jwks_uri' | 'introspection_endpoint';

export interface DiscoveryOptions {
  readonly issuer: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly now: () => number;
  /**
   * Called when the document names an endpoint that is refused (another origin, plain
   * `http:` for a remote issuer, not a URL, missing): the operator log line goes here.
   */
  readonly onRefused?: (name: EndpointName, endpoint: unknown, problem: string) => void;
  /** Called when the document cannot be read (the operator log line and the error count go here). */
  readonly onFailure?: (url: string, cause: unknown, retryAfterMs: number) => void;
  /** Sees each call to the discovery endpoint (metrics). */
  readonly observe?: RequestObserver;
}

/** The state of the discovery document, for health snapshots. */
export interface DiscoveryState {
  readonly url: string;
  /** Epoch ms of the last successful read, `undefined` before the first. */
  readonly loadedAt: number | undefined;
  readonly lastFailure: RefreshFailure | undefined;
  /** Epoch ms of the first failure since the last success, `undefined` when the last read succeeded. */
  readonly failingSince: number | undefined;
}

/**
 * Reads `{issuer}/.well-known/openid-configuration` once, lazily, and keeps it. A failed
 * read is retried no more than once per cooldown; until then callers get a 503.
 *
 * Endpoints in the document are used only on the issuer's own origin
 * ({@link discoveredEndpointProblem}); a refused endpoint is a 503 that says why, and the
 * document is read again (at most once per cooldown) in case it was fixed. Configure an
 * endpoint explicitly to use one on another origin.
 */
export class IssuerDiscovery {
  readonly #refresher: Refresher<{ readonly endpoints: IssuerEndpoints; readonly raw: Readonly<Record<EndpointName, unknown>> }>;

  readonly #url: string;

  constructor(private readonly options: DiscoveryOptions) {
    this.#url = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    this.#refresher = new Refresher(() => this.#load(), 'discovery document', options.cooldownMs, options.now);
  }

  /** Where the document is read, whether it is loaded, and the last failure. */
  get state(): DiscoveryState {
    const refresher = this.#refresher;
    return { url: this.#url, loadedAt: refresher.loadedAt, lastFailure: refresher.lastFailure, failingSince: refresher.failingSince };
  }

  /** The endpoints, loading them on first use. Rejects with `IssuerUnavailableError`. */
  async endpoints(): Promise<IssuerEndpoints> {
    return (await this.#refresher.current()).endpoints;
  }

  /**
   * The URL of one endpoint. Rejects with an {@link IssuerUnavailableError} when the
   * document cannot be read, or names no usable endpoint (the message says why).
   */
  async endpoint(name: EndpointName): Promise<string> {
    let loaded = await this.#refresher.current();
    let found = pick(loaded.endpoints, name);
    if (found.url !== undefined) return found.url;
    const refresher = this.#refresher;
    if (refresher.loading || refresher.mayAttempt) {
      loaded = await refresher.refresh();
      found = pick(loaded.endpoints, name);
      if (found.url !== undefined) return found.url;
    }
    this.options.onRefused?.(name, loaded.raw[name], found.problem);
    throw new IssuerUnavailableError(`The issuer's discovery document names no usable ${name}: it ${found.problem}`, {
      retryAfterMs: refresher.remainingCooldownMs,
    });
  }

  async #load() {
    try {
      return await this.#read();
    } catch (cause) {
      this.options.onFailure?.(this.#url, cause, this.options.cooldownMs);
      throw cause;
    }
  }

  async #read() {
    const { issuer } = this.options;
    const response = await requestJson({
      url: this.#url,
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      maxBytes: 512 * 1024,
      observe: this.options.observe,
    });
    const doc = response.body;
    if (response.status !== 200) throw new UpstreamError(`discovery answered HTTP ${response.status}`, response.status);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new UpstreamError(`discovery answered ${response.status} without a JSON object`, response.status, undefined, 'ERR_UPSTREAM_RESPONSE');
    }
    const metadata = doc as Record<string, unknown>;
    if (metadata.issuer !== issuer) throw new UpstreamError(`discovery document names another issuer (${JSON.stringify(metadata.issuer)}, configured ${JSON.stringify(issuer)})`, response.status, undefined, 'ERR_UPSTREAM_ISSUER_MISMATCH');
    const raw = { jwks_uri: metadata.jwks_uri, introspection_endpoint: metadata.introspection_endpoint };
    return {
      raw,
      endpoints: {
        jwksUri: judge(raw.jwks_uri, issuer),
        introspectionEndpoint: judge(raw.introspection_endpoint, issuer),
      },
    };
  }
}

function pick(endpoints: IssuerEndpoints, name: EndpointName): DiscoveredEndpoint {
  return name === 'jwks_uri' ? endpoints.jwksUri : endpoints.introspectionEndpoint;
}

function judge(endpoint: unknown, issuer: string): DiscoveredEndpoint {
  const problem = discoveredEndpointProblem(endpoint, issuer);
  return problem === undefined ? { url: endpoint as string } : { url: undefined, problem };
}
