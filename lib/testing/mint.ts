/**
 * Minting of ZITADEL-shaped access tokens from given claims: signed JWTs and opaque strings.
 * (`issueToken()` derives the claims from a service user's request instead; see
 * `zitadel-claims.ts`.)
 */
import type { KeyObject } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { DEFAULT_ORGANIZATION } from './directory.js';
import type { IssuerKey } from './key-ring.js';
import { inferAlgorithm, signCompact } from './sign.js';
import { accessTokenId, CLAIMS, projectAudienceScope, SCOPES } from './zitadel.js';

/** Default `sub` of minted tokens (a ZITADEL user id). */
export const DEFAULT_SUBJECT = '200000000000000001';
/** Default `client_id` of minted tokens (the service user's client). */
export const DEFAULT_CLIENT_ID = 'service-user-client';
/** Default organization of minted tokens (`urn:zitadel:iam:user:resourceowner:id`). */
export const DEFAULT_ORGANIZATION_ID = DEFAULT_ORGANIZATION.id;
/** Default lifetime of minted tokens, in seconds. */
export const DEFAULT_EXPIRES_IN = 300;

/** Options of {@link TestIssuer.mintJwt}. */
export interface MintJwtOptions {
  /**
   * Protected header fields to add or override (e.g. `{ typ: 'at+jwt' }`, `{ jwk: {...} }`,
   * `{ crit: ['x'] }`, `{ kid: 'unknown' }`). A value of `undefined` removes a field
   * (`{ typ: undefined }` mints without `typ`). The header is written exactly as given:
   * `header.alg` changes only what the header says, not how the token is signed (use `alg`).
   */
  header?: Record<string, unknown>;
  /** Seconds until `exp`, default 300. Negative values mint an already expired token. */
  expiresIn?: number;
  /** Claim names to remove from the payload (e.g. `['exp']` mints a token without `exp`, `['jti']`). */
  omit?: string[];
  /**
   * Sign with this key instead of the issuer's current key, e.g. a key that is not in the
   * JWKS, or a public key's bytes as an HMAC secret. The header keeps the current `kid`
   * unless `header` changes it.
   */
  key?: CryptoKey | Uint8Array | KeyObject;
  /**
   * Signing algorithm. Defaults to the current key's algorithm, or with `key` to what the
   * key fits (RS256 for RSA, ES* by curve, EdDSA, HS256 for bytes). Also the header's `alg`
   * unless `header.alg` says otherwise.
   */
  alg?: string;
  /**
   * Produce an unsecured JWS (`alg` set to this spelling, e.g. `'none'`, `'None'`, `'NONE'`,
   * and an empty signature).
   */
  unsigned?: string;
  /**
   * The `scope` the issuer's introspection endpoint reports for this JWT, without putting a
   * `scope` claim into the token (ZITADEL JWT access tokens carry none). Lets tests exercise
   * scope enrichment by introspection.
   */
  introspectionScope?: string;
}

/** What minting needs to know about the issuer. */
export interface MintContext {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly projectId: string;
  /** Current time in milliseconds. */
  readonly now: () => number;
}

/** Returns a copy of `record` without the keys whose value is `undefined`. */
export function withoutUndefined(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** Checks `expiresIn` and returns it or the default. */
export function checkExpiresIn(expiresIn: unknown): number {
  if (expiresIn === undefined) return DEFAULT_EXPIRES_IN;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
    throw new TypeError('"expiresIn" option must be a finite number of seconds');
  }
  return expiresIn;
}

/**
 * The claims of a minted token: what ZITADEL issues to the default service user for the scope
 * `openid urn:zitadel:iam:org:project:id:{projectId}:aud urn:zitadel:iam:user:resourceowner`
 * (JWT claims: zitadel/oidc `pkg/oidc/token.go` `NewAccessTokenClaims`, no `scope`;
 * resource-owner claims: `internal/api/oidc/userinfo.go` `setUserInfoOrgClaims`; `jti`:
 * `internal/command/oidc_session.go`), then `claims` on top (a claim set to `undefined` is
 * removed), then `omit` removes names. For `'opaque'` the introspection answer's `scope`
 * (that request's scope) is part of the defaults.
 */
export function buildClaims(
  context: MintContext,
  claims: Readonly<Record<string, unknown>> = {},
  expiresIn: number = DEFAULT_EXPIRES_IN,
  omit: readonly string[] = [],
  kind: 'jwt' | 'opaque' = 'jwt',
): Record<string, unknown> {
  const now = Math.floor(context.now() / 1000);
  const merged = withoutUndefined({
    ...(kind === 'opaque' ? { scope: [SCOPES.openid, projectAudienceScope(context.projectId), SCOPES.resourceOwner].join(' ') } : {}),
    iss: context.issuer,
    sub: DEFAULT_SUBJECT,
    aud: [...context.audience],
    client_id: DEFAULT_CLIENT_ID,
    jti: accessTokenId(),
    iat: now,
    nbf: now,
    exp: now + Math.trunc(expiresIn),
    [CLAIMS.resourceOwnerId]: DEFAULT_ORGANIZATION.id,
    [CLAIMS.resourceOwnerName]: DEFAULT_ORGANIZATION.name,
    [CLAIMS.resourceOwnerPrimaryDomain]: DEFAULT_ORGANIZATION.primaryDomain,
    ...claims,
  });
  for (const name of omit) delete merged[name];
  return merged;
}

/** Mints a compact JWS access token (see {@link MintJwtOptions}). */
export function mintJwtToken(
  context: MintContext,
  current: IssuerKey,
  claims: Readonly<Record<string, unknown>> = {},
  options: MintJwtOptions = {},
): string {
  if (options.omit !== undefined && !Array.isArray(options.omit)) {
    throw new TypeError('"omit" option must be an array of claim names');
  }
  const payload = buildClaims(context, claims, checkExpiresIn(options.expiresIn), options.omit);
  if (options.unsigned !== undefined) {
    const header = withoutUndefined({ alg: options.unsigned, kid: current.kid, typ: 'JWT', ...options.header });
    return signCompact(header, payload, options.unsigned, null);
  }
  const key = options.key ?? current.privateKey;
  const alg = options.alg ?? (options.key === undefined ? current.alg : inferAlgorithm(options.key));
  const header = withoutUndefined({ alg, kid: current.kid, typ: 'JWT', ...options.header });
  return signCompact(header, payload, alg, key);
}
