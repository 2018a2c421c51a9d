import { createHash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { InvalidDpopProofError, InvalidTokenError, IssuerUnavailableError } from './errors.js';
import { ThrottledLog, consoleLogger } from './logger.js';
import type { Logger } from './logger.js';
import { describeValue, fail } from './option-checks.js';

/**
 * Where seen proof ids are remembered. The default is this process's memory; with several
 * instances use a shared one (`RedisDpopReplayCache` from `zitadel-resource-server/redis`),
 * or a proof can be replayed once per instance within its lifetime.
 *
 * An implementation must never forget a key before `ttlMs` has passed (no eviction of live
 * entries): a forgotten proof id is a proof that can be replayed. When it cannot record a
 * key (full, unreachable), it throws, and the proof is refused with 503.
 */
export interface DpopReplayCache {
  /** Records `key` for `ttlMs`; returns false when it is recorded and not expired (a replay). May throw: the proof is then refused with 503. */
  remember(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/** Options of {@link MemoryDpopReplayCache}. */
export interface MemoryDpopReplayCacheOptions {
  /** Most proof ids held. Default 100,000. */
  readonly max?: number;
  /** Where "the cache is full" is reported (at most once a minute). Default: console. */
  readonly logger?: Logger;
  /** Current time in ms; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Thrown by {@link MemoryDpopReplayCache.remember} when every slot holds a proof id that has not expired. */
export class DpopReplayCacheFullError extends Error {
  constructor(max: number) {
    super(`The DPoP replay cache is full (${max} proof ids that have not expired)`);
    this.name = 'DpopReplayCacheFullError';
  }
}

/** Least time between two scans for expired entries while the cache is full, ms (a scan is O(max)). */
const PURGE_INTERVAL_MS = 1000;

/**
 * Bounded in-memory {@link DpopReplayCache} that **never evicts a live entry**. A proof id
 * is kept until the proof could no longer be accepted; when all `max` slots hold such ids,
 * new proofs are refused (the verifier answers 503, `Retry-After: 1`) and one error a
 * minute is logged, until entries expire — at most `dpop.maxAge` + 2 × `clockTolerance`
 * seconds later. A flood of valid proofs can therefore make DPoP requests fail, but can
 * never make the cache forget a proof and let it be replayed.
 *
 * @example
 * const replayCache = new MemoryDpopReplayCache({ max: 500_000 });
 * const rs = createResourceServer({ issuer, audience, dpop: { origins: ['https://api.acme.com'], replayCache } });
 */
export class MemoryDpopReplayCache implements DpopReplayCache {
  readonly #seen: LRUCache<string, true>;
  readonly #max: number;
  readonly #now: () => number;
  readonly #log: ThrottledLog;
  #lastPurge = Number.NEGATIVE_INFINITY;

  constructor(options: MemoryDpopReplayCacheOptions | number = {}) {
    const resolved = typeof options === 'number' ? { max: options } : options;
    if (resolved === null || typeof resolved !== 'object') fail('MemoryDpopReplayCache options must be an object { max?, logger?, now? }');
    const max = resolved.max ?? 100_000;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) fail(`"max" option must be a positive integer (got ${describeValue(max)})`);
    this.#max = max;
    this.#now = resolved.now ?? Date.now;
    this.#log = new ThrottledLog(resolved.logger ?? consoleLogger, 60_000, this.#now);
    // Time comes from `now` (tests move it); ttlResolution 0: no cached clock between calls.
    this.#seen = new LRUCache<string, true>({ max, perf: { now: this.#now }, ttlResolution: 0, ttlAutopurge: false, allowStale: false });
  }

  /** Proof ids held, expired ones not yet dropped included (never more than `max`). */
  get size(): number {
    return this.#seen.size;
  }

  remember(key: string, ttlMs: number): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#max) {
      const now = this.#now();
      if (now - this.#lastPurge >= PURGE_INTERVAL_MS) {
        this.#lastPurge = now;
        this.#seen.purgeStale();
      }
      if (this.#seen.size >= this.#max) {
        this.#log.error(
          'dpop-replay-full',
          `The DPoP replay cache is full: ${this.#max} proof ids that have not expired (dpop.replayCacheMax). New DPoP proofs are refused with 503 ` +
            'until some expire; raise dpop.replayCacheMax, or rate-limit DPoP clients',
        );
        throw new DpopReplayCacheFullError(this.#max);
      }
    }
    this.#seen.set(key, true, { ttl: Math.max(1, Math.ceil(ttlMs)) });
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
  /** The origins clients address this API at (`dpop.origins`), each as `URL.origin` gives it. */
  readonly origins: readonly string[];
  readonly now: () => number;
  /** Where requests for a host that is not in `origins` are reported (at most once a minute). Default: console. */
  readonly logger?: Logger;
}

/** What a proof is checked against. */
export interface DpopRequest {
  /** The DPoP header values (exactly one is accepted). */
  readonly proofs: readonly string[];
  readonly method: string;
  /** The request target as received, path and query (Express: `req.originalUrl`), e.g. `/orders?x=1`. */
  readonly path: string;
  /** The `Host` header (HTTP/2: `:authority`), if any: picks the origin among `dpop.origins`, and must be one of them. */
  readonly host: string | undefined;
  /** The access token the proof must be bound to (`ath`). */
  readonly token: string;
}

/** A proof that passed every check except replay detection (see {@link DpopVerifier.check}). */
export interface DpopProof {
  /** SHA-256 JWK thumbprint (RFC 7638) of the proof's key: compare it with the token's `cnf.jkt`. */
  readonly thumbprint: string;
  /** Epoch ms until which the proof is acceptable: `(iat + maxAge + clockTolerance) × 1000`. */
  readonly acceptableUntil: number;
  /**
   * Records the proof id until `acceptableUntil`. Throws {@link InvalidDpopProofError} (401)
   * when it was used before (or has meanwhile become too old), {@link IssuerUnavailableError}
   * (503) when the replay cache cannot record it (unreachable, full). Call it once, after
   * the token and its binding were accepted; later calls return the first call's result.
   */
  remember(): Promise<void>;
}

/**
 * The URL a DPoP proof must name (`htu`) for a request: the configured origin whose host
 * is the request's `Host`, followed by the request's path. The request's `Host` only
 * *selects* among `origins`; it never builds the URL, so a proof captured for another API
 * cannot be made to match by sending that API's Host. Without a Host, the only origin
 * (if there is exactly one). `X-Forwarded-*` headers are never read.
 *
 * Throws {@link InvalidDpopProofError} (401 `invalid_dpop_proof`) when the Host is not one
 * of `origins`, or the target is not a path.
 *
 * @example
 * expectedDpopUrl(['https://api.acme.com'], '/orders?page=2', 'api.acme.com');  // 'https://api.acme.com/orders?page=2'
 * expectedDpopUrl(['https://api.acme.com'], '/orders', 'other.acme.com');       // throws
 */
export function expectedDpopUrl(origins: readonly string[], requestPath: string, requestHost?: string): string {
  if (typeof requestPath !== 'string' || !requestPath.startsWith('/')) {
    throw new InvalidDpopProofError('The request target is not a path, so no DPoP proof can match it');
  }
  const origin = requestHost === undefined ? (origins.length === 1 ? origins[0] : undefined) : origins.find((candidate) => hostOf(candidate, requestHost));
  if (origin === undefined) throw new InvalidDpopProofError("The request's Host is not one of this API's DPoP origins");
  return `${origin}${requestPath}`;
}

/** True when `host` (a Host header value) names the host and port of `origin`, default ports and case as URLs compare them. */
function hostOf(origin: string, host: string): boolean {
  if (host === '' || host.length > 300 || /[/?#@\\\s]/.test(host)) return false;
  try {
    const configured = new URL(origin);
    return new URL(`${configured.protocol}//${host}`).host === configured.host;
  } catch {
    return false;
  }
}

/**
 * Verifies DPoP proofs (RFC 9449 §4.3): one `DPoP` header, a `dpop+jwt` signed with an
 * allowed asymmetric algorithm by the public key in its own `jwk` header, `htm` and `htu`
 * matching the request (`htu` against {@link expectedDpopUrl}, from the configured origins),
 * an `iat` no older than `maxAge` and no further ahead than `clockTolerance`, `ath` equal to
 * the hash of the access token, and a `jti` never seen before.
 *
 * Replay detection is a separate, last step: {@link DpopVerifier.check} verifies the proof
 * and returns its key thumbprint with a `remember()` step, so the pipeline remembers the
 * proof id only after the token's binding (`cnf.jkt`) matched — a refused request never
 * takes a slot of the replay cache. {@link DpopVerifier.verify} does all of it in order.
 * A proof id is remembered for the proof's whole acceptable lifetime, counted from its
 * `iat` (`iat + maxAge + clockTolerance`), also when `iat` is ahead of this clock.
 *
 * @example
 * const verifier = new DpopVerifier({
 *   algorithms: ['ES256'], maxAge: 60, clockTolerance: 5, origins: ['https://api.acme.com'],
 *   replayCache: new MemoryDpopReplayCache(), now: Date.now,
 * });
 * const token = req.headers.authorization?.slice('DPoP '.length) ?? '';
 * const proof = await verifier.check({ proofs: req.headersDistinct.dpop ?? [], method: req.method, path: req.originalUrl, host: req.headers.host, token });
 * if (proof.thumbprint !== 'the cnf.jkt of the verified token') throw new Error('another key');
 * await proof.remember(); // only now is the proof id taken
 */
export class DpopVerifier {
  readonly #log: ThrottledLog;

  constructor(private readonly settings: DpopSettings) {
    this.#log = new ThrottledLog(settings.logger ?? consoleLogger, 60_000, settings.now);
  }

  /**
   * Checks a proof against the request and the token, without remembering it. Throws
   * {@link InvalidDpopProofError} (401) for any fault of the proof or the request.
   */
  async check(request: DpopRequest): Promise<DpopProof> {
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

    const now = this.settings.now();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...this.settings.algorithms],
        clockTolerance: this.settings.clockTolerance,
        requiredClaims: ['iat', 'jti', 'htm', 'htu'],
        currentDate: new Date(now),
      }));
    } catch (cause) {
      const reason = cause instanceof errors.JWTExpired ? 'The DPoP proof is too old' : cause instanceof errors.JWTClaimValidationFailed ? `The DPoP proof has an invalid ${cause.claim} claim` : 'The DPoP proof signature or format is invalid';
      throw new InvalidDpopProofError(reason, { cause });
    }
    const acceptableUntil = this.#acceptableUntil(payload.iat, now);
    if (payload.htm !== request.method.toUpperCase()) throw new InvalidDpopProofError('The DPoP proof is for another HTTP method');
    const expected = this.#expectedUrl(request);
    if (typeof payload.htu !== 'string' || normalizeUrl(payload.htu) !== normalizeUrl(expected)) {
      throw new InvalidDpopProofError('The DPoP proof is for another URL');
    }
    const ath = createHash('sha256').update(request.token).digest('base64url');
    if (payload.ath !== ath) throw new InvalidDpopProofError('The DPoP proof is not bound to this access token (ath)');
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new InvalidDpopProofError('The DPoP proof has an invalid jti claim');

    const thumbprint = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
    let remembered: Promise<void> | undefined;
    return Object.freeze({
      thumbprint,
      acceptableUntil,
      remember: () => (remembered ??= this.#remember(`${thumbprint}:${jti}`, acceptableUntil)),
    });
  }

  /**
   * {@link DpopVerifier.check}, then the token binding, then {@link DpopProof.remember}:
   * the proof id is remembered only when `boundJkt` (the token's `cnf.jkt`) is the proof's
   * key. Returns the thumbprint. Throws `InvalidTokenError` `ERR_DPOP_BINDING_INVALID` (401)
   * for an unbound token or another key.
   */
  async verify(request: DpopRequest, boundJkt: string | undefined): Promise<string> {
    const proof = await this.check(request);
    if (boundJkt === undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The token is not DPoP-bound; send it as a Bearer token');
    if (boundJkt !== proof.thumbprint) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The DPoP proof key does not match the token binding');
    await proof.remember();
    return proof.thumbprint;
  }

  /** The freshness window of RFC 9449 §4.3 (11.1), in ms: refuses an `iat` too old or too far ahead. */
  #acceptableUntil(iat: unknown, now: number): number {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidDpopProofError('The DPoP proof has an invalid iat claim');
    const tolerance = this.settings.clockTolerance * 1000;
    if (iat * 1000 > now + tolerance) throw new InvalidDpopProofError('The DPoP proof has an invalid iat claim');
    const until = Math.ceil((iat + this.settings.maxAge) * 1000 + tolerance);
    if (now > until) throw new InvalidDpopProofError('The DPoP proof is too old');
    return until;
  }

  #expectedUrl(request: DpopRequest): string {
    try {
      return expectedDpopUrl(this.settings.origins, request.path, request.host);
    } catch (error) {
      if (request.host !== undefined) {
        const shown = request.host.slice(0, 100).replace(/[^A-Za-z0-9.:[\]-]/g, '?');
        this.#log.warn(
          'dpop-host',
          `A DPoP request came for Host "${shown}", which is not one of dpop.origins (${this.settings.origins.join(', ')}); it was refused. ` +
            'If a proxy in front of this API rewrites Host, make it forward the one clients use',
        );
      }
      throw error;
    }
  }

  async #remember(key: string, acceptableUntil: number): Promise<void> {
    // Until the last millisecond in which the proof is still acceptable, counted from iat.
    const ttl = acceptableUntil - this.settings.now() + 1;
    if (ttl <= 0) throw new InvalidDpopProofError('The DPoP proof is too old');
    let fresh: boolean;
    try {
      fresh = await this.settings.replayCache.remember(key, ttl);
    } catch (cause) {
      // Freshness cannot be confirmed: fail closed, but not as the caller's fault.
      throw new IssuerUnavailableError('DPoP replay detection is unavailable', { cause });
    }
    if (!fresh) throw new InvalidDpopProofError('The DPoP proof has been used before');
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
