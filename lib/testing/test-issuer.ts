/**
 * `createTestIssuer()`: an in-process, ZITADEL-shaped authorization server for tests.
 */
import { discoveryDocument, ENDPOINT_PATHS } from './discovery.js';
import { ControllableServer, jsonReply } from './http-server.js';
import type { OutageMode, ReceivedRequest, Reply } from './http-server.js';
import { handleIntrospection } from './introspection.js';
import type { IntrospectionContext } from './introspection.js';
import { checkIssuerKeyAlgorithm, KeyRing } from './key-ring.js';
import { buildClaims, checkExpiresIn, DEFAULT_ORGANIZATION_ID, mintJwtToken, newOpaqueToken } from './mint.js';
import type { MintContext, MintJwtOptions } from './mint.js';
import { resolveTestIssuerOptions } from './options.js';
import type { TestIssuerOptions } from './options.js';
import { TokenRegistry } from './token-registry.js';

/** Requests received per endpoint. */
export interface TestIssuerRequestCounts {
  readonly discovery: number;
  readonly jwks: number;
  readonly introspection: number;
}

/** Options of {@link TestIssuer.mintOpaque}. */
export interface MintOpaqueOptions {
  /** Seconds until `exp`, default 300. */
  expiresIn?: number;
  /** `false` stores the token as inactive: introspection answers `{"active": false}`. Default `true`. */
  active?: boolean;
}

/** Options of {@link TestIssuer.rotateKeys}. */
export interface RotateKeysOptions {
  /** Remove every other key from the JWKS. Default `false`. */
  dropOld?: boolean;
  /** Algorithm of the new key, default the issuer's `alg` option. */
  alg?: string;
}

/** A running test issuer; see {@link createTestIssuer}. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** `${issuer}/oauth/v2/keys`. */
  readonly jwksUri: string;
  /** `${issuer}/oauth/v2/introspect`. */
  readonly introspectionEndpoint: string;
  /** `${issuer}/.well-known/openid-configuration`. */
  readonly discoveryUri: string;
  /** Credentials the introspection endpoint accepts with `client_secret_basic`. */
  readonly introspectionClient: { clientId: string; clientSecret: string };
  /** Default audience of minted tokens. */
  readonly audience: string | readonly string[];
  /** Project id of the ZITADEL role claims built by {@link TestIssuer.roleClaims}. */
  readonly projectId: string;
  /** Count of requests received per endpoint since start (or since `resetCounts()`); a snapshot. */
  readonly requests: TestIssuerRequestCounts;
  /** Sets every request count back to 0. */
  resetCounts(): void;
  /**
   * Mints a JWT access token signed with the current key (ZITADEL defaults: `iss`, `sub`,
   * `aud`, `client_id`, `jti`, `iat`, `nbf`, `exp`, `urn:zitadel:iam:user:resourceowner:id`;
   * header `{ alg, kid, typ: 'JWT' }`; no `scope`). `claims` override the defaults; a claim
   * set to `undefined` is removed.
   */
  mintJwt(claims?: Record<string, unknown>, options?: MintJwtOptions): Promise<string>;
  /**
   * Mints an opaque token (no dots) that the introspection endpoint knows, with the same
   * default claims as {@link TestIssuer.mintJwt}. A claim named `active` or `token_type`
   * overrides that field of the introspection answer (e.g. `active: 'true'` to test a
   * resource server's strictness).
   */
  mintOpaque(claims?: Record<string, unknown>, options?: MintOpaqueOptions): string;
  /** Revokes a token for introspection: an opaque token, a JWT, or a JWT's `jti`. */
  revoke(token: string): void;
  /**
   * Adds a new signing key (new kid) and makes it current; the old key stays in the JWKS
   * unless `{ dropOld: true }`. Returns the new kid.
   */
  rotateKeys(options?: RotateKeysOptions): Promise<string>;
  /** Kid of the key new tokens are signed with. */
  readonly currentKid: string;
  /**
   * ZITADEL role claims (`urn:zitadel:iam:org:project:roles` and
   * `urn:zitadel:iam:org:project:{projectId}:roles`, shaped `{ role: { orgId: domain } }`)
   * to spread into `claims`. `roles` is a list of role keys granted in the default
   * organization, or a map from role key to organization ids.
   */
  roleClaims(roles: readonly string[] | Readonly<Record<string, readonly string[]>>): Record<string, unknown>;
  /**
   * Makes the whole issuer unavailable: `'refuse'` (listening socket closed, open
   * connections destroyed: new connections fail with ECONNREFUSED), `'hang'` (requests are
   * accepted and never answered), `'error'` (500), `'garbage'` (200 with a body that is not
   * JSON). Default `'refuse'`. Requests received while down still count.
   */
  goDown(mode?: OutageMode): Promise<void>;
  /** Ends an outage: hung requests are dropped; listens again on the same port. */
  comeBack(): Promise<void>;
  /** Delays every answer by `ms` milliseconds (0 to turn off). */
  setLatency(ms: number): void;
  /** Stops the server and destroys every connection (hung ones too). Idempotent. */
  close(): Promise<void>;
}

function organizationDomain(organizationId: string): string {
  return `org-${organizationId}.test-issuer.localhost`;
}

/**
 * Starts an in-process issuer on 127.0.0.1 that serves discovery, a JWKS and RFC 7662
 * introspection the way ZITADEL does, mints JWT and opaque access tokens, and can rotate
 * keys, revoke tokens, slow down and go down on demand. Keys are generated per call and
 * never leave memory. Built on `node:http` and `jose` only.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'zitadel-resource-server/testing';
 *
 * const issuer = await createTestIssuer();
 * const rs = createResourceServer({
 *   issuer: issuer.issuer,
 *   audience: 'test-project',
 *   introspection: { auth: { type: 'client_secret_basic', ...issuer.introspectionClient } },
 * });
 * const token = await issuer.mintJwt(issuer.roleClaims(['orders.admin']));
 * // ... call your API with `Authorization: Bearer ${token}`
 * await issuer.close();
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const resolved = resolveTestIssuerOptions(options);
  const keys = await KeyRing.create(resolved.alg);
  const registry = new TokenRegistry();
  const counts = { discovery: 0, jwks: 0, introspection: 0 };
  let issuer = '';
  // eslint-disable-next-line prefer-const -- assigned once the server knows its port; the router reads it
  let introspection: IntrospectionContext | undefined;

  const route = async (request: ReceivedRequest): Promise<Reply> => {
    if (request.method === 'GET' && request.path === ENDPOINT_PATHS.discovery) {
      return jsonReply(200, discoveryDocument(issuer, keys.algorithms()));
    }
    if (request.method === 'GET' && request.path === ENDPOINT_PATHS.jwks) {
      return jsonReply(200, keys.jwks(), { 'cache-control': 'max-age=300' });
    }
    if (request.method === 'POST' && request.path === ENDPOINT_PATHS.introspection && introspection !== undefined) {
      return handleIntrospection(request, introspection);
    }
    return jsonReply(404, { error: 'not_found' });
  };
  const countRequest = (path: string): void => {
    if (path === ENDPOINT_PATHS.discovery) counts.discovery += 1;
    else if (path === ENDPOINT_PATHS.jwks) counts.jwks += 1;
    else if (path === ENDPOINT_PATHS.introspection) counts.introspection += 1;
  };

  const server = new ControllableServer(route, countRequest);
  const port = await server.start(resolved.port);
  issuer = `http://127.0.0.1:${port}`;
  introspection = {
    issuer,
    client: resolved.introspectionClient,
    clientKey: resolved.introspectionClientKey,
    registry,
    keys,
    now: resolved.now,
  };
  const mintContext: MintContext = { issuer, audience: resolved.audience, now: resolved.now };

  return Object.freeze({
    issuer,
    jwksUri: `${issuer}${ENDPOINT_PATHS.jwks}`,
    introspectionEndpoint: `${issuer}${ENDPOINT_PATHS.introspection}`,
    discoveryUri: `${issuer}${ENDPOINT_PATHS.discovery}`,
    introspectionClient: { ...resolved.introspectionClient },
    audience: resolved.audience,
    projectId: resolved.projectId,
    get requests(): TestIssuerRequestCounts {
      return Object.freeze({ ...counts });
    },
    get currentKid(): string {
      return keys.current.kid;
    },
    resetCounts(): void {
      counts.discovery = 0;
      counts.jwks = 0;
      counts.introspection = 0;
    },
    async mintJwt(claims: Record<string, unknown> = {}, mintOptions: MintJwtOptions = {}): Promise<string> {
      const token = mintJwtToken(mintContext, keys.current, claims, mintOptions);
      if (mintOptions.introspectionScope !== undefined) {
        registry.setIntrospectionScope(token, mintOptions.introspectionScope);
      }
      return token;
    },
    mintOpaque(claims: Record<string, unknown> = {}, mintOptions: MintOpaqueOptions = {}): string {
      const token = newOpaqueToken();
      const tokenClaims = buildClaims(mintContext, claims, checkExpiresIn(mintOptions.expiresIn));
      registry.addOpaque(token, { claims: Object.freeze(tokenClaims), active: mintOptions.active ?? true });
      return token;
    },
    revoke(token: string): void {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TypeError('revoke "token" must be a non-empty string');
      }
      registry.revoke(token);
    },
    async rotateKeys(rotateOptions: RotateKeysOptions = {}): Promise<string> {
      const alg = checkIssuerKeyAlgorithm(rotateOptions.alg ?? keys.current.alg, 'alg');
      const key = await keys.rotate(alg, rotateOptions.dropOld === true);
      return key.kid;
    },
    roleClaims(roles: readonly string[] | Readonly<Record<string, readonly string[]>>): Record<string, unknown> {
      const grants: Record<string, Record<string, string>> = {};
      const entries: [string, readonly string[]][] = Array.isArray(roles)
        ? (roles as readonly string[]).map((role) => [role, [DEFAULT_ORGANIZATION_ID]])
        : Object.entries(roles as Readonly<Record<string, readonly string[]>>);
      for (const [role, organizationIds] of entries) {
        grants[role] = Object.fromEntries(organizationIds.map((id) => [id, organizationDomain(id)]));
      }
      return {
        'urn:zitadel:iam:org:project:roles': grants,
        [`urn:zitadel:iam:org:project:${resolved.projectId}:roles`]: structuredClone(grants),
      };
    },
    goDown: (mode: OutageMode = 'refuse'): Promise<void> => server.goDown(mode),
    comeBack: (): Promise<void> => server.comeBack(),
    setLatency: (ms: number): void => server.setLatency(ms),
    close: (): Promise<void> => server.close(),
  });
}
