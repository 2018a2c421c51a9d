import { LRUCache } from 'lru-cache';
import { hashToken } from './token-hash.js';

/** What is checked against the revocation list for every request (cache hits too). */
export interface RevocationCheck {
  readonly tokenHash: string;
  readonly jti: string | undefined;
  readonly subject: string | undefined;
  /** `iat` in seconds, if known. */
  readonly issuedAt: number | undefined;
}

/** What to revoke. Entries expire when the tokens they cover would (`until`). */
export type RevocationTarget =
  | { readonly token: string; readonly until?: Date }
  | { readonly tokenHash: string; readonly until?: Date }
  | { readonly jti: string; readonly until?: Date }
  | { readonly subject: string; readonly issuedBefore: Date; readonly until?: Date };

/** A list of revoked tokens that every request is checked against. */
export interface RevocationList {
  isRevoked(check: RevocationCheck): boolean | Promise<boolean>;
  revoke(target: RevocationTarget): void | Promise<void>;
}

export interface MemoryRevocationListOptions {
  /** Most entries held. Default 100,000. */
  readonly max?: number;
  /** Lifetime of an entry without `until`, in ms. Default 24 h (longer than any access token should live). */
  readonly defaultTtl?: number;
}

/**
 * Process-local {@link RevocationList}, bounded. For several instances use the Redis one.
 *
 * @example
 * const revocations = new MemoryRevocationList();
 * await revocations.revoke({ jti: 'V2_123' });
 */
export class MemoryRevocationList implements RevocationList {
  readonly #entries: LRUCache<string, number>;
  readonly #defaultTtl: number;

  constructor(options: MemoryRevocationListOptions = {}) {
    this.#defaultTtl = options.defaultTtl ?? 24 * 60 * 60 * 1000;
    this.#entries = new LRUCache<string, number>({ max: options.max ?? 100_000 });
  }

  isRevoked(check: RevocationCheck): boolean {
    if (this.#entries.has(`t:${check.tokenHash}`)) return true;
    if (check.jti !== undefined && this.#entries.has(`j:${check.jti}`)) return true;
    if (check.subject !== undefined) {
      const before = this.#entries.get(`s:${check.subject}`);
      if (before !== undefined && (check.issuedAt === undefined || check.issuedAt * 1000 < before)) return true;
    }
    return false;
  }

  revoke(target: RevocationTarget): void {
    const ttl = target.until ? Math.max(1, target.until.getTime() - Date.now()) : this.#defaultTtl;
    if ('token' in target) this.#entries.set(`t:${hashToken(target.token)}`, 0, { ttl });
    else if ('tokenHash' in target) this.#entries.set(`t:${target.tokenHash}`, 0, { ttl });
    else if ('jti' in target) this.#entries.set(`j:${target.jti}`, 0, { ttl });
    else this.#entries.set(`s:${target.subject}`, target.issuedBefore.getTime(), { ttl });
  }
}
