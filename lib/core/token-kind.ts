import { decodeProtectedHeader } from 'jose';
import type { ProtectedHeaderParameters } from 'jose';
import { InvalidTokenError } from './errors.js';

/** What a bearer token looks like on its face. */
export type ClassifiedToken =
  | { readonly kind: 'jwt'; readonly header: ProtectedHeaderParameters }
  | { readonly kind: 'opaque' };

/**
 * Tells a JWS-compact JWT (three segments whose header decodes to a JSON object with a
 * string `alg`) from an opaque token (ZITADEL's legacy opaque tokens and PATs have no dots).
 * A JWE (five segments) is refused — this package accepts signed access tokens only —
 * except ZITADEL's encrypted opaque tokens ({@link isZitadelOpaqueJwe}): those are handles
 * only the issuer can read, so they are opaque and go to introspection.
 */
export function classifyToken(token: string): ClassifiedToken {
  const first = token.indexOf('.');
  if (first === -1) return OPAQUE;
  const second = token.indexOf('.', first + 1);
  const third = second === -1 ? -1 : token.indexOf('.', second + 1);
  if (third !== -1) {
    if (isZitadelOpaqueJwe(token)) return OPAQUE;
    if (token.split('.').length === 5) throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Encrypted tokens (JWE) are not accepted');
    return OPAQUE;
  }
  if (second === -1) return OPAQUE;
  // jose's decoder tolerates padding, whitespace and non-zero unused bits, so one token could
  // be spelled several ways: each would hash differently and slip past the revocation list
  // and the verified-token cache. Only the canonical base64url spelling is accepted.
  const canonical = canonicalBase64url(token, 0, first) && canonicalBase64url(token, first + 1, second) && canonicalBase64url(token, second + 1, token.length);
  // The common case, a canonically spelled JWT, has its header read without jose's general
  // decoder. Anything else takes jose's.
  const header = (canonical ? canonicalHeader(token, first) : undefined) ?? joseHeader(token);
  if (header === undefined || typeof header.alg !== 'string') return OPAQUE;
  if (!canonical) throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token is not canonically base64url-encoded');
  return { kind: 'jwt', header };
}

/**
 * The protected header of a JWT whose first segment (up to `end`) is canonical base64url, or
 * `undefined` when it is not a JSON object or does not decode as UTF-8 without loss (a
 * byte-order mark, which jose's decoder drops, fails `JSON.parse`): the caller then asks
 * jose's decoder, so the answer never differs from `decodeProtectedHeader`'s (a property test
 * holds the two side by side).
 */
function canonicalHeader(token: string, end: number): ProtectedHeaderParameters | undefined {
  const text = Buffer.from(token.slice(0, end), 'base64url').toString('utf8');
  return text.includes('\uFFFD') ? undefined : (jsonObject(text) as ProtectedHeaderParameters | undefined);
}

/** jose's reading of the protected header, `undefined` when it has none. */
function joseHeader(token: string): ProtectedHeaderParameters | undefined {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}

/** `text` parsed as JSON when it is an object (not an array, not `null`), else `undefined`. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Base64url characters whose value has its low 4 (or 2) bits zero: the last character of a canonical 2- (or 3-) character tail. */
const LOW_4_ZERO = 'AQgw';
const LOW_2_ZERO = 'AEIMQUYcgkosw048';

/**
 * True when `token.slice(start, end)` is the one canonical base64url spelling of its bytes
 * (RFC 4648 §3.5: no padding, no characters outside the alphabet, unused bits zero), without
 * decoding it: a length of 1 mod 4 is never canonical; a 2- or 3-character tail must end in
 * a character whose unused low bits are zero.
 */
export function canonicalBase64url(token: string, start: number, end: number): boolean {
  const length = end - start;
  if (length % 4 === 1) return false;
  if (!BASE64URL.test(start === 0 && end === token.length ? token : token.slice(start, end))) return false;
  if (length % 4 === 2) return LOW_4_ZERO.includes(token[end - 1]!);
  if (length % 4 === 3) return LOW_2_ZERO.includes(token[end - 1]!);
  return true;
}

const ZITADEL_JWE_HEADER = new Set(['alg', 'enc', 'iv', 'tag', 'kid']);

/**
 * True for a five-segment token whose protected header is the one ZITADEL's opaque access
 * tokens carry since zitadel/oidc 3.47 (`pkg/op/crypto.go` `aes256GCMCrypto`, used by
 * ZITADEL's `internal/api/oidc/op.go`): `alg: "A256GCMKW"`, `enc: "A256GCM"`, the key-wrap
 * `iv` and `tag` (RFC 7518 §4.7.1), optionally a `kid`, and nothing else. The content key
 * is wrapped with the issuer's own symmetric key: such a token is a reference for
 * introspection, not an encrypted JWT meant for this API.
 */
export function isZitadelOpaqueJwe(token: string): boolean {
  const end = token.indexOf('.');
  if (end <= 0 || token.split('.').length !== 5) return false;
  const fields = jsonObject(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'));
  if (fields === undefined) return false;
  if (fields.alg !== 'A256GCMKW' || fields.enc !== 'A256GCM') return false;
  if (typeof fields.iv !== 'string' || typeof fields.tag !== 'string') return false;
  if (fields.kid !== undefined && typeof fields.kid !== 'string') return false;
  return Object.keys(fields).every((name) => ZITADEL_JWE_HEADER.has(name));
}

const OPAQUE: ClassifiedToken = Object.freeze({ kind: 'opaque' });
