import type { FetchLike, Logger } from '../core/kernel/index.js';
import { consoleLogger, isAllowedEndpoint } from '../core/kernel/index.js';
import { invalidOption } from './errors.js';
import { loadServiceAccountKey } from './key-file.js';
import type { LoadedServiceAccountKey, ServiceAccountKeyFile } from './key-file.js';
import { resolveScope } from './scope.js';

/** How the service user proves who it is at the token endpoint. */
export type TokenSourceCredentials =
  | {
      /** JWT profile grant (RFC 7523): a short RS256 assertion signed with the service user's key. */
      readonly type: 'jwt_profile';
      /** The service user's key file (`"type": "serviceaccount"`): the parsed JSON, or a path to it. */
      readonly keyFile: ServiceAccountKeyFile | string;
    }
  | {
      /** Client credentials grant with `client_secret_basic`. */
      readonly type: 'client_credentials';
      /** The service user's client id (its user name in ZITADEL). */
      readonly clientId: string;
      readonly clientSecret: string;
    };

/** Options of {@link createTokenSource}. `issuer` and `credentials` are required. */
export interface TokenSourceOptions {
  /** The ZITADEL instance, e.g. `https://acme.zitadel.cloud`; `https:` only (`http:` on 127.0.0.1/localhost). Also the assertion's `aud`. */
  readonly issuer: string;
  /** Token endpoint; default from discovery (`{issuer}/.well-known/openid-configuration` → `token_endpoint`). */
  readonly tokenEndpoint?: string;
  /** Scopes to ask for, e.g. `['openid', projectAudienceScope(projectId)]`. Default: none sent. */
  readonly scope?: string | readonly string[];
  readonly credentials: TokenSourceCredentials;
  /**
   * Refresh this many ms before the token expires. Default 60,000; never more than 10 % of
   * the token's lifetime.
   */
  readonly refreshSkew?: number;
  /** Timeout of each call to the issuer (discovery, token endpoint), ms. Default 3,000. */
  readonly timeout?: number;
  /** Where a failed refresh that falls back to the current token is reported. Default: console.warn. */
  readonly logger?: Logger;
  /** `fetch` used for every call. Default: the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Current time in ms; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Options after validation, with every default filled in. Frozen. */
export interface ResolvedTokenSourceOptions {
  readonly issuer: string;
  readonly tokenEndpoint: string | undefined;
  readonly scope: string | undefined;
  readonly credentials:
    | { readonly type: 'jwt_profile'; readonly key: LoadedServiceAccountKey }
    | { readonly type: 'client_credentials'; readonly clientId: string; readonly clientSecret: string };
  readonly refreshSkew: number;
  readonly timeout: number;
  readonly logger: Logger;
  readonly fetch: FetchLike;
  readonly now: () => number;
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') invalidOption(`"${name}" option must be a non-empty string`);
  return value;
}

function integerInRange(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidOption(`"${name}" option must be an integer from ${min} to ${max} (got ${typeof value === 'number' ? value : typeof value})`);
  }
  return value;
}

function endpointUrl(value: unknown, name: string): string {
  const url = nonEmptyString(value, name);
  if (!isAllowedEndpoint(url)) {
    invalidOption(`"${name}" option must be an https: URL (http: is allowed only for 127.0.0.1 or localhost, for development)`);
  }
  return url;
}

/**
 * Validates options once, at construction, and fills in defaults. Every message names the
 * option and says what to fix; none contains a secret.
 */
export function resolveTokenSourceOptions(options: TokenSourceOptions): ResolvedTokenSourceOptions {
  if (options === null || typeof options !== 'object') invalidOption('options must be an object with "issuer" and "credentials"');
  const issuer = endpointUrl(options.issuer, 'issuer');
  const tokenEndpoint = options.tokenEndpoint === undefined ? undefined : endpointUrl(options.tokenEndpoint, 'tokenEndpoint');
  if (options.logger !== undefined && (options.logger === null || typeof options.logger.warn !== 'function')) {
    invalidOption('"logger" option must have a warn() method');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') invalidOption('"fetch" option must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') invalidOption('"now" option must be a function');
  return Object.freeze({
    issuer,
    tokenEndpoint,
    scope: resolveScope(options.scope, 'scope'),
    credentials: resolveCredentials(options.credentials),
    refreshSkew: integerInRange(options.refreshSkew, 'refreshSkew', 60_000, 0, 3_600_000),
    timeout: integerInRange(options.timeout, 'timeout', 3000, 100, 60_000),
    logger: options.logger ?? consoleLogger,
    fetch: options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init)),
    now: options.now ?? Date.now,
  });
}

function resolveCredentials(credentials: TokenSourceCredentials | undefined): ResolvedTokenSourceOptions['credentials'] {
  if (credentials === null || typeof credentials !== 'object') {
    invalidOption(
      '"credentials" option is required: { type: "jwt_profile", keyFile } or { type: "client_credentials", clientId, clientSecret }',
    );
  }
  switch (credentials.type) {
    case 'jwt_profile':
      if (credentials.keyFile === undefined) {
        invalidOption('"credentials.keyFile" option is required for jwt_profile (the service-user key JSON, or its path)');
      }
      return Object.freeze({ type: 'jwt_profile', key: loadServiceAccountKey(credentials.keyFile, 'credentials.keyFile') });
    case 'client_credentials':
      return Object.freeze({
        type: 'client_credentials',
        clientId: nonEmptyString(credentials.clientId, 'credentials.clientId'),
        clientSecret: nonEmptyString(credentials.clientSecret, 'credentials.clientSecret'),
      });
    default:
      invalidOption('"credentials.type" option must be "jwt_profile" or "client_credentials"');
  }
}
