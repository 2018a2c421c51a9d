import { InvalidTokenError } from './errors.js';
import type { ClaimInterner } from './interner.js';

/** How the caller's token was checked. */
export type VerifiedBy = 'jwks' | 'introspection';

/** What the token looked like. */
export type TokenKind = 'jwt' | 'opaque';

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
  /** Every claim, as verified. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Which claim layout to read. */
export type ClaimsPreset = 'zitadel' | 'generic';

export interface PrincipalOptions {
  readonly preset: ClaimsPreset;
  /** ZITADEL project id: selects `urn:zitadel:iam:org:project:{projectId}:roles`. */
  readonly projectId: string | undefined;
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

/**
 * Turns verified claims into a {@link Principal}. Roles are read from role claims only,
 * never from `scope` (ZITADEL lists every project role in a PAT's scope, granted or not).
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
    expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined,
    // The verified claims object is ours (a fresh jose payload or introspection answer): frozen, not copied.
    claims: Object.freeze(claims),
  });
}

function readRoles(claims: Record<string, unknown>, options: PrincipalOptions): Readonly<Record<string, readonly string[]>> {
  if (options.preset !== 'zitadel') return genericRoles(claims, options.rolesClaim);
  const claimName = options.projectId === undefined ? ZITADEL_ROLES : `urn:zitadel:iam:org:project:${options.projectId}:roles`;
  const claim = claims[claimName];
  // One roles map per distinct (interned) role claim: tokens of one service user share it.
  if (options.interner && claim !== null && typeof claim === 'object') {
    return options.interner.derive(claim, () => zitadelRoles(claims, options.projectId));
  }
  return zitadelRoles(claims, options.projectId);
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
 * ZITADEL role claims: `{ "<role>": { "<orgId>": "<org domain>" } }`. With a project id
 * only the project-specific claim counts (the generic claim may describe another project).
 */
function zitadelRoles(claims: Record<string, unknown>, projectId: string | undefined): Readonly<Record<string, readonly string[]>> {
  const claim = projectId === undefined ? claims[ZITADEL_ROLES] : claims[`urn:zitadel:iam:org:project:${projectId}:roles`];
  if (!isPlainObject(claim)) return NO_ROLES;
  // fromEntries defines own properties, so a role named "__proto__" stays an ordinary key.
  return Object.freeze(
    Object.fromEntries(Object.entries(claim).map(([role, orgs]) => [role, frozenList(isPlainObject(orgs) ? Object.keys(orgs) : [])])),
  );
}

function genericRoles(claims: Record<string, unknown>, path: string | undefined): Readonly<Record<string, readonly string[]>> {
  if (path === undefined) return NO_ROLES;
  let value: unknown = claims;
  for (const part of path.split('.')) {
    value = isPlainObject(value) && Object.hasOwn(value, part) ? value[part] : undefined;
  }
  if (typeof value === 'string') value = value.split(' ');
  if (!Array.isArray(value)) return NO_ROLES;
  const names = value.filter((role): role is string => typeof role === 'string' && role !== '');
  return Object.freeze(Object.fromEntries(names.map((role) => [role, EMPTY])));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
