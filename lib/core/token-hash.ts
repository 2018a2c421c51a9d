import { hash } from 'node:crypto';

/** SHA-256 of the token, base64url: the only form in which a token is used as a key. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** A short, non-reversible token reference for logs and audit (`tokenId` without `jti`). */
export function shortTokenHash(hash: string): string {
  return `sha256:${hash.slice(0, 16)}`;
}
