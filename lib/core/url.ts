const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * True for `https:` URLs, and for `http:` URLs on a loopback host (development and
 * tests). Every issuer-facing URL must pass this.
 */
export function isAllowedEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Why an endpoint named by the issuer's discovery document must not be used, or
 * `undefined` when it may. A discovered endpoint must be on the issuer's own origin
 * (scheme, host and port, compared as the URL standard normalizes them): a tampered or
 * hostile document must not make this API send its client credentials and callers'
 * tokens elsewhere, nor make it fetch keys from another host. Plain `http:` on loopback
 * follows from that rule: it is accepted only when the issuer itself is a loopback
 * `http:` URL. An endpoint on another origin can still be used by configuring it
 * explicitly (`jwksUri`, `introspection.endpoint`).
 *
 * @example
 * discoveredEndpointProblem('https://evil.example/keys', 'https://acme.zitadel.cloud')
 * // 'is not on the issuer\'s origin (https://acme.zitadel.cloud)'
 */
export function discoveredEndpointProblem(endpoint: unknown, issuer: string): string | undefined {
  if (typeof endpoint !== 'string' || endpoint === '') return 'is missing';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'carries credentials';
  const issuerOrigin = new URL(issuer).origin;
  if (url.origin === issuerOrigin) return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && !isAllowedLoopbackIssuer(issuer)) {
    return `is plain http: on loopback, which is accepted only for a loopback issuer (the issuer is ${issuerOrigin})`;
  }
  if (url.protocol !== 'https:' && !isAllowedLoopbackIssuer(issuer)) return 'is not an https: URL';
  return `is not on the issuer's origin (${issuerOrigin})`;
}

function isAllowedLoopbackIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}
