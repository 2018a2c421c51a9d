import { errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyOptions, ProtectedHeaderParameters } from 'jose';
import { AuthError, InvalidTokenError, IssuerUnavailableError } from './errors.js';
import type { JwksKeyStore } from './jwks.js';

export interface JwtVerifierOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  /** Seconds. */
  readonly clockTolerance: number;
  /** Claims that must be present besides `exp` (the ZITADEL preset adds `jti`). */
  readonly requiredClaims: readonly string[];
  readonly keys: JwksKeyStore;
  readonly now: () => number;
}

// Header parameters that point at keys: never fetched, never trusted (RFC 8725 §3.10).
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt']);

/**
 * Verifies a JWT access token locally: header checks first (so a token that is invalid on
 * its face is refused without touching the network), then the signature against the
 * issuer's JWKS, then the claims. Returns the verified payload.
 */
export class JwtVerifier {
  /** jose's options but the clock, built once: they are the same for every token. */
  readonly #joseOptions: JWTVerifyOptions;

  constructor(private readonly options: JwtVerifierOptions) {
    this.#joseOptions = {
      issuer: options.issuer,
      audience: [...options.audience],
      algorithms: [...options.algorithms],
      clockTolerance: options.clockTolerance,
      requiredClaims: ['exp', ...options.requiredClaims],
    };
  }

  async verify(token: string, header: ProtectedHeaderParameters): Promise<JWTPayload> {
    this.#checkHeader(header);
    const keys = await this.options.keys.keysFor(header).catch(rethrowKeyError);
    // Made only when no key verifies (an Error captures a stack: not on every token).
    let lastError: unknown;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, { ...this.#joseOptions, currentDate: new Date(this.options.now()) });
        this.#checkClaims(payload);
        return payload;
      } catch (error) {
        // jose reports every fault of the token as a JOSEError; anything else (a key that
        // cannot be imported or is too short) is the issuer's garbage: 503, not 401.
        if (!(error instanceof errors.JOSEError) && !(error instanceof AuthError)) throw unusableKey(error);
        lastError = error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw toAuthError(lastError ?? new InvalidTokenError('ERR_KEY_NOT_FOUND', 'The token was signed with an unknown key'));
  }

  #checkHeader(header: ProtectedHeaderParameters): void {
    if (!this.options.algorithms.includes(header.alg as string)) {
      throw new InvalidTokenError('ERR_ALG_NOT_ALLOWED', 'The token is signed with an algorithm that is not allowed');
    }
    for (const name of KEY_HEADERS) {
      if (header[name] !== undefined) {
        throw new InvalidTokenError('ERR_HEADER_NOT_ALLOWED', `The token header must not carry ${name}`);
      }
    }
    if (header.crit !== undefined) {
      throw new InvalidTokenError('ERR_HEADER_NOT_ALLOWED', 'The token header lists critical extensions this server does not support');
    }
    if (header.kid !== undefined && typeof header.kid !== 'string') {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token header has a malformed kid');
    }
    if (header.typ !== undefined) {
      const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
      if (!ACCESS_TOKEN_TYPES.has(typ)) {
        throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'The token is not an access token (unexpected typ)');
      }
    }
  }

  #checkClaims(payload: JWTPayload): void {
    const nowSeconds = this.options.now() / 1000;
    if (payload.iat !== undefined && payload.iat > nowSeconds + this.options.clockTolerance) {
      throw new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'The token was issued in the future');
    }
    if (payload.nonce !== undefined || payload.at_hash !== undefined) {
      throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'ID tokens are not accepted as access tokens');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token has no valid "sub" claim');
    }
    for (const claim of this.options.requiredClaims) {
      if (typeof payload[claim] !== 'string' || payload[claim] === '') {
        throw new InvalidTokenError('ERR_CLAIM_INVALID', `The token has no valid ${claim} claim`);
      }
    }
  }
}

function rethrowKeyError(error: unknown): never {
  if (error instanceof AuthError) throw error;
  throw unusableKey(error);
}

function unusableKey(cause: unknown): IssuerUnavailableError {
  return new IssuerUnavailableError("The issuer's JWKS holds no usable key for this token", { cause });
}

/** Maps a jose error to the package's error family; anything unknown is "malformed". */
function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    return new InvalidTokenError('ERR_TOKEN_EXPIRED', 'The token has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if ((error.claim === 'nbf' || error.claim === 'iat') && error.reason === 'check_failed') {
      return new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet');
    }
    if (error.reason === 'missing') {
      return new InvalidTokenError('ERR_CLAIM_INVALID', `The token has no ${error.claim} claim`);
    }
    return new InvalidTokenError('ERR_CLAIM_INVALID', `The token's ${error.claim} claim is not accepted`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('ERR_SIGNATURE_INVALID', 'The token signature is invalid');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidTokenError('ERR_ALG_NOT_ALLOWED', 'The token is signed with an algorithm that is not allowed');
  }
  if (error instanceof errors.JOSENotSupported) {
    return new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'The token uses a feature this server does not support');
  }
  return new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token is malformed');
}
