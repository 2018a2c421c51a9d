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
  return { kind: 'jwt', header };
}

const OPAQUE: ClassifiedToken = Object.freeze({ kind: 'opaque' });
