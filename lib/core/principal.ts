import { InvalidTokenError } from './errors.js';
import type { ClaimInterner } from './interner.js';

/** How the caller's token was checked. */
export type VerifiedBy = 'jwks' | 'introspection';

/** What the token looked like. */
export type TokenKind = 'jwt' | 'opaque';

/**
 * Who acts on behalf of the subject (RFC 8693 §4.1 `act`): ZITADEL sets it for
 * impersonation and token exchange, in JWT access tokens and introspection answers
 * (`zitadel/oidc` `pkg/oidc/token.go` `ActorClaims`: `iss`, `sub`, and a nested `act` for
 * earlier actors in a chain, which is not read here).
 */
export interface Actor {
  /** `act.sub`: the acting user (e.g. the admin impersonating `subject`). */
  readonly subject: string;
  /** `act.iss`, when the claim names one. */
  readonly issuer: string | undefined;
}

/**
 * The verified caller. Built from the claims of a verified JWT or of an active
 * introspection response; never from an unverified token.
 */
export interface Principal {
  /** `sub`: the ZITADEL user (human or service user) id. */
  readonly subject: string;
  /** `client_id` (or `azp`): the OAuth client that obtained the token. */
  readonly clientId: string | undefined;
  /** The organization that owns the user (`urn:zitadel:iam:user:resourceowner:id`). */
  readonly organizationId: string | undefined;
  /** Granted scopes (`scope`, or `scp`). Empty when the token says none. */
  readonly scopes: readonly string[];
  /** Project roles: role key → ids of the organizations in which it is granted. */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  /** `jti`, or a short hash of the token when it has none. Never the token. */
  readonly tokenId: string;
  readonly verifiedBy: VerifiedBy;
  readonly tokenKind: TokenKind;
  readonly issuer: string;
  readonly audience: readonly string[];
  /** `exp`, if the token has one. */
  readonly expiresAt: Date | undefined;
  /**
   * The current actor when the token was issued by impersonation or token exchange (`act`);
   * `undefined` otherwise, and when `act` is not an object with a non-empty string `sub`
   * (and, if present, a non-empty string `iss`): a malformed `act` is ignored, never half-read.
   * Optional in the type so that principals built by hand (tests) stay valid; always
   * present (possibly `undefined`) on principals this package builds.
   */
  readonly actor?: Actor | undefined;
  /** Every claim, as verified. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Which claim layout to read. */
export type ClaimsPreset = 'zitadel' | 'generic';

export interface PrincipalOptions {
  readonly preset: ClaimsPreset;
  /**
   * ZITADEL project id: with it, roles come only from
   * `urn:zitadel:iam:org:project:{projectId}:roles` (the generic claim may describe another
   * project). Without it, roles come from the generic `urn:zitadel:iam:org:project:roles`
   * **and** from `urn:zitadel:iam:org:project:{id}:roles` for every id in `audience`:
   * for the JWT profile and client credentials grants ZITADEL writes only the
   * project-specific claim (`internal/api/oidc/userinfo.go` `setUserInfoRoleClaims` adds
   * the generic one only for the request's own project, which these grants leave empty),
   * so reading the generic claim alone would make every role check fail. The audience
   * values are the projects the configuration already trusts; a grant found in several
   * claims counts once, its organizations merged.
   */
  readonly projectId: string | undefined;
  /** The configured audience (project ids and/or client ids): the project role claims read without `projectId`. */
  readonly audience?: readonly string[] | undefined;
  /** Generic preset: claim (dot path) holding an array of role names. */
  readonly rolesClaim: string | undefined;
  /** The configured issuer, used when an introspection answer has no `iss`. */
  readonly issuer: string;
  /** Shares repeated claim values between principals (memory of the verified-token cache). */
  readonly interner?: ClaimInterner | undefined;
}

export interface TokenFacts {
  readonly verifiedBy: VerifiedBy;
  readonly tokenKind: TokenKind;
  /** Short hash of the token, used as `tokenId` when there is no `jti`. */
  readonly shortHash: string;
}

const ZITADEL_ROLES = 'urn:zitadel:iam:org:project:roles';
const ZITADEL_RESOURCE_OWNER = 'urn:zitadel:iam:user:resourceowner:id';
/** Largest |seconds| a JavaScript Date can hold (ECMA-262 §21.4.1.22: ±8.64e15 ms). */
const MAX_DATE_SECONDS = 8.64e12;
const NUMERIC_DATE_CLAIMS = ['exp', 'iat', 'nbf'] as const;

function projectRolesClaim(projectId: string): string {
  return `urn:zitadel:iam:org:project:${projectId}:roles`;
}

/**
 * True when `value` is a NumericDate a JavaScript `Date` can represent: a finite number of
 * seconds within ±8.64e12. `1e300` or `Infinity` (which `JSON.parse('1e400')` yields) are not.
 */
export function isRepresentableNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_DATE_SECONDS;
}

/**
 * Turns verified claims into a {@link Principal}. Roles are read from role claims only,
 * never from `scope` (ZITADEL lists every project role in a PAT's scope, granted or not).
 * `exp`, `iat` and `nbf`, when present, must be numbers a `Date` can hold, else the token
 * is refused (401 `ERR_CLAIM_INVALID`): a signed `exp: 1e300` is not "valid forever".
 */
export function toPrincipal(input: Record<string, unknown>, facts: TokenFacts, options: PrincipalOptions): Principal {
  const interner = options.interner;
  // A frozen claims object was interned when it was first turned into a principal.
  const claims = interner && !Object.isFrozen(input) ? interner.intern(input) : input;
  const subject = stringClaim(claims, 'sub');
  const clientId = stringClaim(claims, 'client_id') ?? stringClaim(claims, 'azp');
  const resolvedSubject = subject ?? clientId;
  if (resolvedSubject === undefined) {
    throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token names no subject');
  }
  for (const name of NUMERIC_DATE_CLAIMS) {
    if (claims[name] !== undefined && !isRepresentableNumericDate(claims[name])) {
      throw new InvalidTokenError('ERR_CLAIM_INVALID', `The token's ${name} claim is not a usable date`);
    }
  }
  const jti = stringClaim(claims, 'jti');
  const exp = claims.exp;
  return Object.freeze({
    subject: resolvedSubject,
    clientId,
    organizationId: options.preset === 'zitadel' ? stringClaim(claims, ZITADEL_RESOURCE_OWNER) : undefined,
    scopes: frozenList(readScopes(claims)),
    roles: readRoles(claims, options),
    tokenId: jti ?? facts.shortHash,
    verifiedBy: facts.verifiedBy,
    tokenKind: facts.tokenKind,
    issuer: stringClaim(claims, 'iss') ?? options.issuer,
    audience:
      interner && Array.isArray(claims.aud) ? interner.derive(claims.aud, () => frozenList(readAudience(claims.aud))) : frozenList(readAudience(claims.aud)),
    expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
    actor: readActor(claims.act),
    // The verified claims object is ours (a fresh jose payload or introspection answer): frozen, not copied.
    claims: Object.freeze(claims),
  });
}

function readRoles(claims: Record<string, unknown>, options: PrincipalOptions): Readonly<Record<string, readonly string[]>> {
  if (options.preset !== 'zitadel') return genericRoles(claims, options.rolesClaim);
  const present: Record<string, unknown>[] = [];
  for (const name of roleClaimNames(options)) {
    const claim = claims[name];
    if (isPlainObject(claim) && !present.includes(claim)) present.push(claim);
  }
  if (present.length === 0) return NO_ROLES;
  if (present.length === 1) {
    const claim = present[0]!;
    // One roles map per distinct (interned) role claim: tokens of one service user share it.
    return options.interner ? options.interner.derive(claim, () => zitadelRoles([claim])) : zitadelRoles([claim]);
  }
  return zitadelRoles(present);
}

/** The role claims this configuration reads, in order (see {@link PrincipalOptions.projectId}). */
function roleClaimNames(options: PrincipalOptions): readonly string[] {
  if (options.projectId !== undefined) return [projectRolesClaim(options.projectId)];
  return [ZITADEL_ROLES, ...(options.audience ?? []).map(projectRolesClaim)];
}

const EMPTY: readonly string[] = Object.freeze([]);
const NO_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({});

function frozenList(list: string[]): readonly string[] {
  return list.length === 0 ? EMPTY : Object.freeze(list);
}

/** True when the claims carry any scope information at all (`scope` or `scp`). */
export function hasScopeClaim(claims: Record<string, unknown>): boolean {
  return claims.scope !== undefined || claims.scp !== undefined;
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readScopes(claims: Record<string, unknown>): string[] {
  const { scope, scp } = claims;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string' && s !== '');
  return [];
}

function readAudience(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

/**
 * ZITADEL role claims: `{ "<role>": { "<orgId>": "<org domain>" } }`. Several claims (the
 * generic one and project-specific ones) are merged: a role's organizations are the union.
 */
function zitadelRoles(claimsToRead: readonly Record<string, unknown>[]): Readonly<Record<string, readonly string[]>> {
  // A Map, then fromEntries: a role named "__proto__" stays an ordinary key.
  const roles = new Map<string, Set<string>>();
  for (const claim of claimsToRead) {
    for (const [role, orgs] of Object.entries(claim)) {
      let set = roles.get(role);
      if (!set) roles.set(role, (set = new Set()));
      if (isPlainObject(orgs)) for (const org of Object.keys(orgs)) set.add(org);
    }
  }
  return Object.freeze(Object.fromEntries([...roles].map(([role, orgs]) => [role, frozenList([...orgs])])));
}

/**
 * The current actor from `act`, or `undefined` when there is none or it is malformed
 * (not an object, `sub` not a non-empty string, `iss` present but not a non-empty string).
 */
function readActor(act: unknown): Actor | undefined {
  if (!isPlainObject(act)) return undefined;
  const { sub, iss } = act;
  if (typeof sub !== 'string' || sub === '') return undefined;
  if (iss !== undefined && (typeof iss !== 'string' || iss === '')) return undefined;
  return Object.freeze({ subject: sub, issuer: iss as string | undefined });
}

/**
 * Generic preset: the claim at `path` (dots separate levels) must be an array; its
 * non-empty strings are the roles. A claim of any other type — a space-separated string
 * included (`"Sales team admin"` must not grant `admin`) — yields no roles.
 */
function genericRoles(claims: Record<string, unknown>, path: string | undefined): Readonly<Record<string, readonly string[]>> {
  if (path === undefined) return NO_ROLES;
  let value: unknown = claims;
  for (const part of path.split('.')) {
    value = isPlainObject(value) && Object.hasOwn(value, part) ? value[part] : undefined;
  }
  if (!Array.isArray(value)) return NO_ROLES;
  const names = value.filter((role): role is string => typeof role === 'string' && role !== '');
  return Object.freeze(Object.fromEntries(names.map((role) => [role, EMPTY])));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
