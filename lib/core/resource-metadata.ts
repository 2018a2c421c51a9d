import type { ServerResponse } from 'node:http';
import type { BearerMethod } from './bearer.js';
import { checkKeys, describeValue, fail } from './option-checks.js';
import { isAllowedEndpoint } from './url.js';

/** RFC 9728 protected-resource metadata to publish. */
export interface ResourceMetadataOptions {
  /** The resource identifier: this API's URL (`https:`; no query or fragment), e.g. `https://api.acme.com`. */
  readonly resource: string;
  /** Authorization servers (issuer URLs) that issue tokens for this API. Default: the trusted issuers. */
  readonly authorizationServers?: readonly string[];
  /** Scopes a client may request to call this API. */
  readonly scopesSupported?: readonly string[];
  /** Human-readable name of the API. */
  readonly resourceName?: string;
  /** URL of the API's documentation for developers. */
  readonly resourceDocumentation?: string;
}

/** The metadata as served: where, and what. */
export interface ResourceMetadata {
  /** Path of the metadata document on this host (RFC 9728 §3.1). */
  readonly path: string;
  /** Absolute URL of the metadata document (the `resource_metadata` challenge parameter). */
  readonly url: string;
  /** The JSON document. */
  readonly document: Readonly<Record<string, unknown>>;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

const METADATA_KEYS = Object.keys({
  resource: true,
  authorizationServers: true,
  scopesSupported: true,
  resourceName: true,
  resourceDocumentation: true,
} satisfies Record<keyof ResourceMetadataOptions, true>);

/**
 * Validates the options and builds the document. The metadata URL inserts
 * `/.well-known/oauth-protected-resource` between the host and the path of the resource
 * identifier (RFC 9728 §3.1).
 */
export function resolveResourceMetadata(
  options: ResourceMetadataOptions,
  issuers: readonly string[],
  bearerMethods: readonly BearerMethod[],
  dpop?: { readonly algorithms: readonly string[]; readonly required: boolean },
): ResourceMetadata {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(`"resourceMetadata" option must be an object { resource, authorizationServers?, scopesSupported?, resourceName?, resourceDocumentation? } (got ${describeValue(options)})`);
  }
  checkKeys(options, METADATA_KEYS, 'resourceMetadata.');
  if (typeof options.resource !== 'string') {
    fail(`"resourceMetadata.resource" option is required: the URL that identifies this API, e.g. "https://api.acme.com" (got ${describeValue(options.resource)})`);
  }
  if (!isAllowedEndpoint(options.resource)) {
    fail(`"resourceMetadata.resource" option must be an https: URL (http: only on 127.0.0.1 or localhost) (got ${describeValue(options.resource)})`);
  }
  const resource = new URL(options.resource);
  if (resource.search || resource.hash || /[?#]/.test(options.resource)) fail('"resourceMetadata.resource" option must have no query or fragment');
  const servers = options.authorizationServers ?? issuers;
  // The trusted issuers were checked already (an allowInsecureIssuer one included).
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || !(issuers.includes(s) || isAllowedEndpoint(s)))) {
    fail('"resourceMetadata.authorizationServers" option must be a non-empty list of https: issuer URLs');
  }
  for (const name of ['scopesSupported'] as const) {
    const list = options[name];
    if (list !== undefined && (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s === ''))) {
      fail(`"resourceMetadata.${name}" option must be a list of non-empty strings`);
    }
  }
  if (options.resourceName !== undefined && (typeof options.resourceName !== 'string' || options.resourceName === '')) {
    fail(`"resourceMetadata.resourceName" option must be a non-empty string (got ${describeValue(options.resourceName)})`);
  }
  if (options.resourceDocumentation !== undefined && (typeof options.resourceDocumentation !== 'string' || !isAllowedEndpoint(options.resourceDocumentation))) {
    fail('"resourceMetadata.resourceDocumentation" option must be an https: URL');
  }
  const resourcePath = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const path = `${WELL_KNOWN}${resourcePath}`;
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: [...servers],
    bearer_methods_supported: [...bearerMethods],
  };
  if (options.scopesSupported) document.scopes_supported = [...options.scopesSupported];
  if (options.resourceName !== undefined) document.resource_name = options.resourceName;
  if (options.resourceDocumentation !== undefined) document.resource_documentation = options.resourceDocumentation;
  if (dpop) {
    document.dpop_signing_alg_values_supported = [...dpop.algorithms];
    if (dpop.required) document.dpop_bound_access_tokens_required = true;
  }
  return Object.freeze({ path, url: `${resource.origin}${path}`, document: Object.freeze(document) });
}

/**
 * The headers the metadata document is served with (public, cacheable, CORS-open:
 * browser-based clients discover the issuer with it), for adapters that write through
 * their framework's reply.
 */
export const METADATA_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'public, max-age=3600',
  'access-control-allow-origin': '*',
});

/** Writes the metadata document with Node's response API (see {@link METADATA_HEADERS}). */
export function writeMetadata(res: ServerResponse, body: string, headOnly: boolean): void {
  res.statusCode = 200;
  for (const [name, value] of Object.entries(METADATA_HEADERS)) res.setHeader(name, value);
  res.end(headOnly ? undefined : body);
}
