import { LRUCache } from 'lru-cache';
import { checkKeys, describeValue, fail, integerOption } from './option-checks.js';
import type { StoreHealth } from './operations/health.js';
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
  /**
   * Optional, cheap and synchronous (no round trip): whether the store behind the list can
   * be reached now, e.g. the Redis connection's state. Shown by `rs.health()`; with
   * `revocationUnavailable: 'fail-closed'` an unreachable store makes the server not ready.
   */
  health?(): StoreHealth;
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
    if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(`MemoryRevocationList options must be an object { max?, defaultTtl? } (got ${describeValue(options)})`);
    checkKeys(options, ['max', 'defaultTtl']);
    this.#defaultTtl = integerOption(options.defaultTtl, 'defaultTtl', 24 * 60 * 60 * 1000, 1000, 366 * 24 * 60 * 60 * 1000);
    this.#entries = new LRUCache<string, number>({ max: integerOption(options.max, 'max', 100_000, 1, 100_000_000) });
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

  /** Adds a revocation. Throws `ResourceServerOptionsError` for a target of the wrong shape. */
  revoke(target: RevocationTarget): void {
    const entry = revocationEntry(target);
    const ttl = entry.until === undefined ? this.#defaultTtl : Math.max(1, entry.until - Date.now());
    this.#entries.set(entry.key, entry.value, { ttl });
  }
}

/** One revocation, checked: its key (`t:`, `j:`, `s:` and the hash, jti or subject), its value, the token hash if known. */
export interface RevocationEntry {
  readonly key: string;
  /** 0, or for a subject `issuedBefore` in epoch ms. */
  readonly value: number;
  readonly tokenHash: string | undefined;
  /** `until` in epoch ms, if given. */
  readonly until: number | undefined;
}

const TARGET_SHAPES = 'a revocation target is { token }, { tokenHash }, { jti } or { subject, issuedBefore }, each with an optional until (a Date)';

/**
 * Checks a {@link RevocationTarget} and turns it into the entry both revocation lists
 * store. Throws `ResourceServerOptionsError` (`ERR_INVALID_OPTIONS`) naming what is
 * wrong.
 *
 * @example
 * revocationEntry({ jti: 'V2_123' }); // { key: 'j:V2_123', value: 0, tokenHash: undefined, until: undefined }
 */
export function revocationEntry(target: RevocationTarget): RevocationEntry {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) fail(`revoke(): ${TARGET_SHAPES} (got ${describeValue(target)})`);
  const untilValue: unknown = target.until;
  if (untilValue !== undefined && !(untilValue instanceof Date && Number.isFinite(untilValue.getTime()))) {
    fail(`revoke(): "until" must be a valid Date (got ${describeValue(untilValue)})`);
  }
  const until = untilValue === undefined ? undefined : untilValue.getTime();
  if ('token' in target) {
    const tokenHash = hashToken(nonEmpty(target.token, 'token', true));
    return { key: `t:${tokenHash}`, value: 0, tokenHash, until };
  }
  if ('tokenHash' in target) {
    const tokenHash = nonEmpty(target.tokenHash, 'tokenHash');
    return { key: `t:${tokenHash}`, value: 0, tokenHash, until };
  }
  if ('jti' in target) return { key: `j:${nonEmpty(target.jti, 'jti')}`, value: 0, tokenHash: undefined, until };
  if ('subject' in target) {
    const before: unknown = target.issuedBefore;
    if (!(before instanceof Date && Number.isFinite(before.getTime()))) fail(`revoke(): "issuedBefore" must be a valid Date (got ${describeValue(before)})`);
    return { key: `s:${nonEmpty(target.subject, 'subject')}`, value: before.getTime(), tokenHash: undefined, until };
  }
  return fail(`revoke(): ${TARGET_SHAPES}`);
}

function nonEmpty(value: unknown, name: string, secret = false): string {
  if (typeof value !== 'string' || value === '') fail(`revoke(): "${name}" must be a non-empty string (got ${describeValue(value, secret)})`);
  return value;
}
