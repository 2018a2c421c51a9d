import type { Token } from 'oidc-provider';

import { scopeSet, ZITADEL } from './directory.js';
import type { Directory } from './directory.js';
import { numericId } from './keys.js';

/** `gty` stored on access tokens that are personal access tokens. */
export const PAT_GRANT = 'personal_access_token';

/** Base scopes ZITADEL stores on a personal access token (role scopes are added at introspection). */
export const PAT_SCOPES = ['openid', 'profile', ZITADEL.metadataScope, ZITADEL.resourceOwnerScope] as const;

/** What the issuer knows about one access token, whatever its format. */
export interface TokenRecord {
  /**
   * ZITADEL's token id (`jti`), never the token itself: `V2_<sessionId>-at_<tokenId>` for the
   * tokens of an OIDC session (`internal/command/oidc_session.go`), a plain id for a PAT.
   */
  readonly tokenId: string;
  readonly userId: string;
  /** `client_id`: the service user's user name; absent for personal access tokens, which belong to no application. */
  readonly clientId: string | undefined;
  readonly scope: string;
  /** Stored audience; a personal access token has none (ZITADEL adds the introspecting client's). */
  readonly audience: readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly personal: boolean;
  /** `amr` at introspection: `['pwd']` for client credentials (`internal/api/oidc/amr.go`). */
  readonly amr: readonly string[];
}

/** The user an `AccessToken` was issued to; client credentials tokens carry none. */
export function accountOf(token: Token): string | undefined {
  return 'accountId' in token && typeof token.accountId === 'string' ? token.accountId : undefined;
}

/** A ZITADEL OIDC-session token id derived from `seed`: `V2_<id>-at_<id>`. */
export function sessionTokenId(seed?: string): string {
  return seed === undefined ? `V2_${numericId()}-at_${numericId()}` : `V2_${numericId(`${seed}:session`)}-at_${numericId(`${seed}:token`)}`;
}

/** A token as stored by `oidc-provider` (opaque access tokens, client credentials, PATs). */
export function recordFromModel(directory: Directory, token: Token): TokenRecord | undefined {
  const personal = token.gty === PAT_GRANT;
  const userId = accountOf(token) ?? directory.userByClientId(token.clientId)?.userId;
  const user = userId === undefined ? undefined : directory.user(userId);
  if (userId === undefined || user === undefined) {
    return undefined;
  }
  const scope = token.scope ?? '';
  return {
    // An opaque token's jti is the token value itself; ZITADEL's token id is a separate id.
    tokenId: personal ? numericId(`${token.kind}:${token.jti}`) : sessionTokenId(`${token.kind}:${token.jti}`),
    userId,
    clientId: personal ? undefined : user.username,
    scope,
    audience: personal ? [] : directory.audience(scopeSet(scope)),
    iat: token.iat,
    exp: token.exp,
    personal,
    amr: !personal && user.grant === 'clientCredentials' ? ['pwd'] : [],
  };
}

/**
 * Audience as reported to a client: a PAT gets the introspecting client and its project
 * appended (`internal/api/oidc/access_token.go` `assertClientScopesForPAT`).
 */
function effectiveAudience(directory: Directory, record: TokenRecord, clientId: string): string[] {
  return record.personal ? [...record.audience, clientId, directory.projectId] : [...record.audience];
}

/**
 * ZITADEL answers introspection only when the token's audience holds the client id or its
 * project id (`internal/api/oidc/introspect.go` `validateIntrospectionAudience`).
 */
export function mayIntrospect(directory: Directory, record: TokenRecord, clientId: string): boolean {
  if (clientId !== directory.apiClientId) {
    return false;
  }
  return effectiveAudience(directory, record, clientId).some((aud) => aud === clientId || aud === directory.projectId);
}

/**
 * The RFC 7662 answer for an active token, shaped like ZITADEL's (`introspect.go`
 * `Introspect`, zitadel/oidc `pkg/oidc/introspection.go`): a PAT's `scope` gains every project
 * role scope and it has no `client_id`; roles of the API's project under both claim names;
 * resource-owner claims with their scope; `username` (and the profile) with `profile`.
 */
export function describeToken(
  directory: Directory,
  issuer: string,
  record: TokenRecord,
  clientId: string,
): Record<string, unknown> {
  const scopes = record.personal
    ? [...scopeSet(record.scope), ...directory.roles.map(ZITADEL.roleScope)]
    : [...scopeSet(record.scope)];
  const scopeNames = new Set(scopes);
  const user = directory.user(record.userId);
  const body: Record<string, unknown> = {
    active: true,
    scope: scopes.join(' '),
    client_id: record.clientId,
    token_type: 'Bearer',
    exp: record.exp,
    iat: record.iat,
    auth_time: record.personal ? undefined : record.iat,
    nbf: record.iat,
    sub: record.userId,
    aud: effectiveAudience(directory, record, clientId),
    amr: record.amr.length > 0 ? record.amr : undefined,
    iss: issuer,
    jti: record.tokenId,
  };
  if (scopeNames.has('profile') && user) {
    body['username'] = user.username;
    body['name'] = user.username;
    body['preferred_username'] = user.username;
    // userinfo.go userInfoProfileToOidc: UpdatedAt = the user's change date (here: the token's creation).
    body['updated_at'] = record.iat;
  }
  Object.assign(body, directory.resourceOwnerClaims(record.userId, scopeNames), directory.roleClaims(record.userId, scopeNames, 'introspection'));
  return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
}

/**
 * JWT access tokens are not stored by `oidc-provider`; the issuer remembers what it signed so
 * it can introspect and revoke them like ZITADEL does. Entries leave after `exp`.
 */
export class JwtRegistry {
  readonly #records = new Map<string, TokenRecord>();
  readonly #revoked = new Set<string>();

  #inserts = 0;

  remember(record: TokenRecord): void {
    this.#inserts += 1;
    if (this.#inserts % 256 === 0) {
      this.#sweep();
    }
    this.#records.set(record.tokenId, record);
  }

  /** The record of a token that is known, unexpired and not revoked. */
  active(tokenId: string, now = Math.floor(Date.now() / 1000)): TokenRecord | undefined {
    const record = this.#records.get(tokenId);
    if (!record || this.#revoked.has(tokenId) || record.exp <= now) {
      return undefined;
    }
    return record;
  }

  revoke(tokenId: string): void {
    if (this.#records.has(tokenId)) {
      this.#revoked.add(tokenId);
    }
  }

  clear(): void {
    this.#records.clear();
    this.#revoked.clear();
  }

  #sweep(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [tokenId, record] of this.#records) {
      if (record.exp <= now) {
        this.#records.delete(tokenId);
        this.#revoked.delete(tokenId);
      }
    }
  }
}
