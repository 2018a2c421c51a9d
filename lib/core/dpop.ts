import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { InvalidDpopProofError, IssuerUnavailableError } from './errors.js';

/**
 * Where seen proof ids are remembered. The default is this process's memory; with several
 * instances use a shared one (`RedisDpopReplayCache` from `zitadel-resource-server/redis`),
 * or a proof can be replayed once per instance within `maxAge`.
 */
export interface DpopReplayCache {
  /** Records `key` for `ttlMs`; returns false when it was recorded before (a replay). May throw: the proof is then refused with 503. */
  remember(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/** Bounded in-memory {@link DpopReplayCache}. */
export class MemoryDpopReplayCache implements DpopReplayCache {
  readonly #seen: LRUCache<string, true>;

  constructor(max = 100_000) {
    this.#seen = new LRUCache<string, true>({ max });
  }

  remember(key: string, ttlMs: number): boolean {
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, true, { ttl: ttlMs });
    return true;
  }
}

/** DPoP (RFC 9449) settings, after validation. */
export interface DpopSettings {
  readonly algorithms: readonly string[];
  /** Seconds a proof stays acceptable after its `iat`. */
  readonly maxAge: number;
  /** Seconds of clock skew. */
  readonly clockTolerance: number;
  /** Where proof ids are remembered. */
  readonly replayCache: DpopReplayCache;
  readonly now: () => number;
}

/** What a proof is checked against. */
export interface DpopRequest {
  /** The DPoP header values (exactly one is accepted). */
  readonly proofs: readonly string[];
  readonly method: string;
  /** The request URL as the client addressed it, e.g. `https://api.acme.com/orders?x=1`. */
  readonly url: string;
  /** The access token the proof must be bound to (`ath`). */
  readonly token: string;
}

/**
 * Verifies DPoP proofs (RFC 9449 §4.3): one `DPoP` header, a `dpop+jwt` signed with an
 * allowed asymmetric algorithm by the public key in its own `jwk` header, `htm` and `htu`
 * matching the request, a fresh `iat`, a `jti` never seen before (bounded replay cache),
 * and `ath` equal to the hash of the access token. Returns the key's JWK thumbprint, to be
 * compared with the token's `cnf.jkt`.
 */
export class DpopVerifier {
  constructor(private readonly settings: DpopSettings) {}

  async verify(request: DpopRequest): Promise<string> {
    if (request.proofs.length !== 1) throw new InvalidDpopProofError(request.proofs.length === 0 ? 'A DPoP proof is required' : 'Only one DPoP proof is allowed');
    const proof = request.proofs[0]!;
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw new InvalidDpopProofError('The DPoP proof is malformed');
    }
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') throw new InvalidDpopProofError('The DPoP proof must have typ dpop+jwt');
    if (!this.settings.algorithms.includes(header.alg as string)) throw new InvalidDpopProofError('The DPoP proof uses an algorithm that is not allowed');
    if (header.jwk === null || typeof header.jwk !== 'object') throw new InvalidDpopProofError('The DPoP proof carries no jwk');

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...this.settings.algorithms],
        maxTokenAge: this.settings.maxAge,
        clockTolerance: this.settings.clockTolerance,
        requiredClaims: ['iat', 'jti', 'htm', 'htu'],
        currentDate: new Date(this.settings.now()),
      }));
    } catch (cause) {
      const reason = cause instanceof errors.JWTExpired ? 'The DPoP proof is too old' : cause instanceof errors.JWTClaimValidationFailed ? `The DPoP proof has an invalid ${cause.claim} claim` : 'The DPoP proof signature or format is invalid';
      throw new InvalidDpopProofError(reason, { cause });
    }
    if (payload.htm !== request.method.toUpperCase()) throw new InvalidDpopProofError('The DPoP proof is for another HTTP method');
    if (typeof payload.htu !== 'string' || normalizeUrl(payload.htu) !== normalizeUrl(request.url)) {
      throw new InvalidDpopProofError('The DPoP proof is for another URL');
    }
    const ath = createHash('sha256').update(request.token).digest('base64url');
    if (payload.ath !== ath) throw new InvalidDpopProofError('The DPoP proof is not bound to this access token (ath)');
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) throw new InvalidDpopProofError('The DPoP proof has an invalid jti claim');

    const thumbprint = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
    const replayKey = `${thumbprint}:${payload.jti}`;
    let fresh: boolean;
    try {
      fresh = await this.settings.replayCache.remember(replayKey, (this.settings.maxAge + this.settings.clockTolerance) * 1000);
    } catch (cause) {
      // Freshness cannot be confirmed: fail closed, but not as the caller's fault.
      throw new IssuerUnavailableError('DPoP replay detection is unavailable', { cause });
    }
    if (!fresh) throw new InvalidDpopProofError('The DPoP proof has been used before');
    return thumbprint;
  }
}

/** `htu` comparison per RFC 9449 §4.3: without query and fragment; scheme and host case-insensitive. */
function normalizeUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}
