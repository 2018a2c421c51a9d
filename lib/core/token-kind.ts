import { decodeProtectedHeader } from 'jose';
import type { ProtectedHeaderParameters } from 'jose';
import { InvalidTokenError } from './errors.js';

/** What a bearer token looks like on its face. */
export type ClassifiedToken =
  | { readonly kind: 'jwt'; readonly header: ProtectedHeaderParameters }
  | { readonly kind: 'opaque' };

/**
 * Tells a JWS-compact JWT (three segments whose header decodes to a JSON object with a
 * string `alg`) from an opaque token (ZITADEL's opaque tokens and PATs have no dots).
 * A JWE (five segments) is refused: this package accepts signed access tokens only.
 */
export function classifyToken(token: string): ClassifiedToken {
  const first = token.indexOf('.');
  if (first === -1) return OPAQUE;
  const segments = token.split('.').length;
  if (segments === 5) {
    throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'Encrypted tokens (JWE) are not accepted');
  }
  if (segments !== 3) return OPAQUE;
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return OPAQUE;
  }
  if (typeof header.alg !== 'string') return OPAQUE;
  // jose's decoder tolerates padding, whitespace and non-zero unused bits, so one token could
  // be spelled several ways: each would hash differently and slip past the revocation list
  // and the verified-token cache. Only the canonical base64url spelling is accepted.
  for (const segment of token.split('.')) {
    if (!BASE64URL.test(segment) || Buffer.from(segment, 'base64url').toString('base64url') !== segment) {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'The token is not canonically base64url-encoded');
    }
  }
  return { kind: 'jwt', header };
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

const OPAQUE: ClassifiedToken = Object.freeze({ kind: 'opaque' });
