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
  /** ZITADEL-style numeric token id (`jti`); never the token itself. */
  readonly tokenId: string;
  readonly userId: string;
  /** Absent for personal access tokens, which belong to no application. */
  readonly clientId: string | undefined;
  readonly scope: string;
  /** Stored audience; a personal access token has none (ZITADEL adds the introspecting client's). */
  readonly audience: readonly string[];
  readonly iat: number;
  readonly exp: number;
  readonly personal: boolean;
}

/** The user an `AccessToken` was issued to; client credentials tokens carry none. */
export function accountOf(token: Token): string | undefined {
  return 'accountId' in token && typeof token.accountId === 'string' ? token.accountId : undefined;
}

/** A token as stored by `oidc-provider` (opaque access tokens, client credentials, PATs). */
export function recordFromModel(directory: Directory, token: Token): TokenRecord | undefined {
  const personal = token.gty === PAT_GRANT;
  const userId = accountOf(token) ?? directory.userByClientId(token.clientId)?.userId;
  if (userId === undefined) {
    return undefined;
  }
  const scope = token.scope ?? '';
  return {
    // An opaque token's jti is the token value itself; ZITADEL's token id is a separate id.
    tokenId: numericId(`${token.kind}:${token.jti}`),
    userId,
    clientId: personal ? undefined : token.clientId,
    scope,
    audience: personal ? [] : directory.audience(scopeSet(scope), token.clientId),
    iat: token.iat,
    exp: token.exp,
    personal,
  };
}

/** Audience as reported to a client: a PAT gets the introspecting client and its project added. */
function effectiveAudience(directory: Directory, record: TokenRecord, clientId: string): string[] {
  return record.personal ? [...record.audience, clientId, directory.projectId] : [...record.audience];
}

/** ZITADEL answers introspection only when the token's audience holds the client id or its project id. */
export function mayIntrospect(directory: Directory, record: TokenRecord, clientId: string): boolean {
  if (clientId !== directory.apiClientId) {
    return false;
  }
  return effectiveAudience(directory, record, clientId).some((aud) => aud === clientId || aud === directory.projectId);
}

/** The RFC 7662 answer for an active token, shaped like ZITADEL's. */
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
    nbf: record.iat,
    sub: record.userId,
    aud: effectiveAudience(directory, record, clientId),
    iss: issuer,
    jti: record.tokenId,
  };
  if (scopeNames.has('profile') && user) {
    body['username'] = user.username;
  }
  Object.assign(body, directory.resourceOwnerClaims(record.userId, scopeNames), directory.roleClaims(record.userId));
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
