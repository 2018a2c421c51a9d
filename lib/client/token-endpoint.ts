import { isAllowedEndpoint, requestJson, UpstreamError } from '../core/kernel/index.js';
import type { FetchLike } from '../core/kernel/index.js';
import { TokenSourceError } from './errors.js';

export interface TokenEndpointOptions {
  readonly issuer: string;
  /** Configured endpoint; when set, discovery is never read. */
  readonly tokenEndpoint: string | undefined;
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
}

/**
 * The token endpoint's URL: the configured one, or `token_endpoint` from
 * `{issuer}/.well-known/openid-configuration`, read once on first use and kept. A failed
 * read is not kept: the next call reads again. Rejects with `ERR_DISCOVERY`.
 */
export class TokenEndpoint {
  #url: string | undefined;

  constructor(private readonly options: TokenEndpointOptions) {
    this.#url = options.tokenEndpoint;
  }

  async url(): Promise<string> {
    this.#url ??= await this.#discover();
    return this.#url;
  }

  async #discover(): Promise<string> {
    const { issuer } = this.options;
    const location = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let response;
    try {
      response = await requestJson({ url: location, fetch: this.options.fetch, timeoutMs: this.options.timeoutMs, maxBytes: 512 * 1024 });
    } catch (cause) {
      const reason = cause instanceof UpstreamError ? cause.message : 'request failed';
      throw new TokenSourceError('ERR_DISCOVERY', `The discovery document ${location} could not be read (${reason})`, { cause });
    }
    const doc = response.body;
    if (response.status !== 200 || doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new TokenSourceError('ERR_DISCOVERY', `The discovery document ${location} answered HTTP ${response.status} without a JSON object`, {
        status: response.status,
      });
    }
    const metadata = doc as Record<string, unknown>;
    if (metadata.issuer !== issuer) {
      throw new TokenSourceError('ERR_DISCOVERY', `The discovery document at ${location} names another issuer: check the "issuer" option`);
    }
    const endpoint = metadata.token_endpoint;
    if (typeof endpoint !== 'string' || !isAllowedEndpoint(endpoint)) {
      throw new TokenSourceError('ERR_DISCOVERY', `The discovery document at ${location} has no usable token_endpoint: set the "tokenEndpoint" option`);
    }
    return endpoint;
  }
}
