/**
 * What the test issuer remembers about tokens it handed out: opaque tokens and their
 * claims, revoked tokens, scopes to report for JWTs. Every map is bounded (oldest entry
 * out first), so a long test run cannot grow memory without limit.
 */
import { decodeJwt } from 'jose';
import type { IssuedTokenRecord } from './zitadel-claims.js';

/** Default number of entries per map. */
export const DEFAULT_MAX_TOKENS = 10_000;

/** An opaque token as the issuer stored it. */
export interface OpaqueTokenRecord {
  /** Claims the introspection endpoint reports for the token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** `false` makes introspection answer `{"active": false}` whatever the claims say. */
  readonly active: boolean;
  /** `false`: answer even when `aud` names neither the introspection client nor its project. */
  readonly audienceCheck?: boolean;
}

/** A `Map` that forgets its oldest entry when it grows past `max`. */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

function jtiOf(token: string): string | undefined {
  if (token.split('.').length !== 3) return undefined;
  try {
    const { jti } = decodeJwt(token);
    return typeof jti === 'string' ? jti : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opaque tokens, tokens issued the ZITADEL way (by value and by `jti`), revocations and
 * per-JWT introspection scopes.
 *
 * @example
 * ```ts
 * const registry = new TokenRegistry();
 * registry.addOpaque('abc', { claims: { sub: '1' }, active: true });
 * registry.revoke('abc');
 * registry.isRevoked('abc'); // true
 * ```
 */
export class TokenRegistry {
  readonly #opaque: BoundedMap<string, OpaqueTokenRecord>;
  readonly #revokedTokens: BoundedMap<string, true>;
  readonly #revokedJtis: BoundedMap<string, true>;
  readonly #scopes: BoundedMap<string, string>;
  readonly #issued: BoundedMap<string, IssuedTokenRecord>;
  readonly #issuedByJti: BoundedMap<string, IssuedTokenRecord>;

  constructor(max: number = DEFAULT_MAX_TOKENS) {
    this.#issued = new BoundedMap(max);
    this.#issuedByJti = new BoundedMap(max);
    this.#opaque = new BoundedMap(max);
    this.#revokedTokens = new BoundedMap(max);
    this.#revokedJtis = new BoundedMap(max);
    this.#scopes = new BoundedMap(max);
  }

  addOpaque(token: string, record: OpaqueTokenRecord): void {
    this.#opaque.set(token, record);
  }

  getOpaque(token: string): OpaqueTokenRecord | undefined {
    return this.#opaque.get(token);
  }

  /** Remembers a token issued the ZITADEL way; `value` is the opaque token or PAT, absent for a JWT. */
  addIssued(record: IssuedTokenRecord, value?: string): void {
    if (value !== undefined) this.#issued.set(value, record);
    this.#issuedByJti.set(record.tokenId, record);
  }

  /** The record of an opaque token or PAT issued the ZITADEL way. */
  issued(value: string): IssuedTokenRecord | undefined {
    return this.#issued.get(value);
  }

  /** The record of a token issued the ZITADEL way, by its `jti`. */
  issuedByJti(jti: string): IssuedTokenRecord | undefined {
    return this.#issuedByJti.get(jti);
  }

  /** Remembers the `scope` introspection reports for a JWT. */
  setIntrospectionScope(token: string, scope: string): void {
    this.#scopes.set(token, scope);
  }

  introspectionScope(token: string): string | undefined {
    return this.#scopes.get(token);
  }

  /**
   * Revokes a token. `tokenOrJti` is a token string (opaque or JWT; a JWT's `jti` is revoked
   * with it) or the `jti` of a JWT.
   */
  revoke(tokenOrJti: string): void {
    this.#revokedTokens.set(tokenOrJti, true);
    this.#revokedJtis.set(jtiOf(tokenOrJti) ?? tokenOrJti, true);
  }

  /** Whether `token`, or the `jti` it carries, was revoked. */
  isRevoked(token: string, jti?: unknown): boolean {
    if (this.#revokedTokens.has(token)) return true;
    return typeof jti === 'string' && this.#revokedJtis.has(jti);
  }
}
