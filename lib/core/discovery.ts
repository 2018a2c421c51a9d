import { requestJson, UpstreamError } from './http.js';
import type { FetchLike } from './http.js';
import { Refresher } from './refresher.js';
import { isAllowedEndpoint } from './url.js';

/** What the package needs from the issuer's discovery document. */
export interface IssuerEndpoints {
  readonly jwksUri: string;
  readonly introspectionEndpoint: string | undefined;
}

export interface DiscoveryOptions {
  readonly issuer: string;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly now: () => number;
}

/**
 * Reads `{issuer}/.well-known/openid-configuration` once, lazily, and keeps it. A failed
 * read is retried no more than once per cooldown; until then callers get a 503.
 */
export class IssuerDiscovery {
  readonly #refresher: Refresher<IssuerEndpoints>;

  constructor(private readonly options: DiscoveryOptions) {
    this.#refresher = new Refresher(() => this.#load(), 'discovery document', options.cooldownMs, options.now);
  }

  /** The endpoints, loading them on first use. Rejects with `IssuerUnavailableError`. */
  async endpoints(): Promise<IssuerEndpoints> {
    return this.#refresher.current();
  }

  async #load(): Promise<IssuerEndpoints> {
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
    const jwksUri = metadata.jwks_uri;
    if (typeof jwksUri !== 'string' || !isAllowedEndpoint(jwksUri)) {
      throw new UpstreamError('discovery document has no usable jwks_uri');
    }
    const introspection = metadata.introspection_endpoint;
    return {
      jwksUri,
      introspectionEndpoint:
        typeof introspection === 'string' && isAllowedEndpoint(introspection) ? introspection : undefined,
    };
  }
}
