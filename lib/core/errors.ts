/**
 * Every refusal the resource server can give, as one error family.
 *
 * Each error carries a stable {@link AuthErrorCode} (switch on it, never on the message),
 * the HTTP status it maps to, and the RFC 6750 `error` value for the `WWW-Authenticate`
 * challenge. Messages are short, safe to show to a caller, and never contain the token,
 * a key or a stack.
 */

/** Stable codes. New codes may be added in minor versions; existing ones never change. */
export type AuthErrorCode =
  | 'ERR_TOKEN_MISSING'
  | 'ERR_INVALID_REQUEST'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_UNSUPPORTED'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_HEADER_NOT_ALLOWED'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_TOKEN_INACTIVE'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_SCOPE_INSUFFICIENT'
  | 'ERR_ROLE_INSUFFICIENT'
  | 'ERR_POLICY_DENIED'
  | 'ERR_ISSUER_UNAVAILABLE'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_BINDING_INVALID';

/** RFC 6750 §3.1 error values (absent when the request simply carried no credentials). */
export type BearerErrorValue = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

/** The authentication scheme a challenge names: `Bearer` (RFC 6750) or `DPoP` (RFC 9449). */
export type ChallengeScheme = 'Bearer' | 'DPoP';

/** Codes of {@link UpstreamError}: why a call to the issuer (or another upstream) gave no usable answer. */
export type UpstreamErrorCode =
  | 'ERR_UPSTREAM_UNREACHABLE'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_UPSTREAM_STATUS'
  | 'ERR_UPSTREAM_RESPONSE'
  | 'ERR_UPSTREAM_ISSUER_MISMATCH'
  | 'ERR_UPSTREAM_CLIENT_REFUSED';

/** Codes of the service-user token source (`zitadel-resource-server/client`). */
export type TokenSourceErrorCode = 'ERR_INVALID_OPTIONS' | 'ERR_DISCOVERY' | 'ERR_TOKEN_ENDPOINT' | 'ERR_TOKEN_REJECTED' | 'ERR_TOKEN_RESPONSE';

/** Every stable code of the package, one closed union: `switch (error.code)` narrows. */
export type ErrorCode = AuthErrorCode | UpstreamErrorCode | TokenSourceErrorCode | 'ERR_INVALID_OPTIONS' | 'ERR_REDIS_UNAVAILABLE';

/**
 * The root of every error this package throws: a stable {@link ErrorCode}, a message safe
 * to log (never a token, a secret or a key), and the `cause` when there is one.
 *
 * @example
 * if (error instanceof ResourceServerError) logger.warn({ code: error.code }, error.message);
 */
export abstract class ResourceServerError extends Error {
  /** Stable machine-readable code. */
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Base class of every error the authentication and authorization pipeline throws. */
export abstract class AuthError extends ResourceServerError {
  /** Stable machine-readable code; also the audit event's `reason`. */
  abstract override readonly code: AuthErrorCode;
  /** HTTP status to answer with. */
  abstract readonly status: 400 | 401 | 403 | 503;
  /** RFC 6750 `error` for the challenge, or `undefined` for a bare challenge. */
  abstract readonly error: BearerErrorValue | undefined;
  /** The scheme the challenge uses: `DPoP` for DPoP requests and DPoP-specific refusals. */
  challengeScheme: ChallengeScheme = 'Bearer';
}

/** The request carries no bearer token at all (or uses another scheme): 401, bare challenge. */
export class MissingTokenError extends AuthError {
  readonly code = 'ERR_TOKEN_MISSING';
  readonly status = 401;
  readonly error = undefined;
  constructor(message = 'A bearer token is required') {
    super(message);
  }
}

/** The request is malformed (RFC 6750 `invalid_request`): 400. */
export class InvalidRequestError extends AuthError {
  readonly code = 'ERR_INVALID_REQUEST';
  readonly status = 400;
  readonly error = 'invalid_request';
}

/** Codes of {@link InvalidTokenError}. */
export type InvalidTokenCode = Extract<
  AuthErrorCode,
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_UNSUPPORTED'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_HEADER_NOT_ALLOWED'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_TOKEN_INACTIVE'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_DPOP_BINDING_INVALID'
>;

/** The token is not acceptable (RFC 6750 `invalid_token`): 401. */
export class InvalidTokenError extends AuthError {
  readonly status = 401;
  readonly error = 'invalid_token';
  constructor(
    readonly code: InvalidTokenCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A DPoP proof (RFC 9449) is missing, malformed, replayed or does not match the request: 401 `invalid_dpop_proof`. */
export class InvalidDpopProofError extends AuthError {
  readonly code = 'ERR_DPOP_PROOF_INVALID';
  readonly status = 401;
  readonly error = 'invalid_dpop_proof';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.challengeScheme = 'DPoP';
  }
}

/** Codes of {@link InsufficientScopeError}. */
export type InsufficientScopeCode = Extract<
  AuthErrorCode,
  'ERR_SCOPE_INSUFFICIENT' | 'ERR_ROLE_INSUFFICIENT' | 'ERR_POLICY_DENIED'
>;

/**
 * The token is valid but does not grant what the route needs (RFC 6750
 * `insufficient_scope`): 403. `scopes` lists what the route requires, for the challenge.
 */
export class InsufficientScopeError extends AuthError {
  readonly status = 403;
  readonly error = 'insufficient_scope';
  constructor(
    readonly code: InsufficientScopeCode,
    message: string,
    readonly scopes: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * The decision needs the issuer (JWKS, discovery or introspection) and it cannot be
 * reached, is too slow, or answers garbage: 503 with `Retry-After`. Fails closed.
 */
export class IssuerUnavailableError extends AuthError {
  readonly code = 'ERR_ISSUER_UNAVAILABLE';
  readonly status = 503;
  readonly error = undefined;
  /** Seconds after which a retry makes sense (at least 1). */
  readonly retryAfter: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfter = Math.max(1, Math.ceil((options?.retryAfterMs ?? 1000) / 1000));
  }
}

/**
 * Options passed to {@link createResourceServer} (or a module, middleware, cache or list)
 * are invalid, or a part is used the wrong way; thrown at construction. The message names
 * the option and says what to fix.
 */
export class ResourceServerOptionsError extends ResourceServerError {
  readonly code = 'ERR_INVALID_OPTIONS';
}

/**
 * Why an upstream call (discovery, JWKS, introspection, token endpoint) gave no usable
 * answer: never seen by callers (they get a 503 {@link IssuerUnavailableError} whose
 * `cause` it is), named in operator log lines.
 */
export class UpstreamError extends ResourceServerError {
  readonly code: UpstreamErrorCode;
  constructor(
    message: string,
    /** HTTP status of the answer, when there was one. */
    readonly status?: number,
    readonly body?: unknown,
    code?: UpstreamErrorCode,
  ) {
    super(message);
    this.code = code ?? (status === undefined ? 'ERR_UPSTREAM_RESPONSE' : 'ERR_UPSTREAM_STATUS');
  }
}

/** `true` for any error of the {@link AuthError} family. */
export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}
