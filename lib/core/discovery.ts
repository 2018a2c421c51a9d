import { IssuerUnavailableError } from './errors.js';
import { requestJson, UpstreamError } from './http.js';
import type { FetchLike } from './http.js';
import { Refresher } from './refresher.js';
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

  constructor(private readonly options: DiscoveryOptions) {
    this.#refresher = new Refresher(() => this.#load(), 'discovery document', options.cooldownMs, options.now);
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
    const { issuer } = this.options;
    const response = await requestJson({
      url: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      maxBytes: 512 * 1024,
    });
    const doc = response.body;
    if (response.status !== 200 || doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new UpstreamError(`discovery answered ${response.status} without a JSON object`, response.status);
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
