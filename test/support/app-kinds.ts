/**
 * The app kinds of the transport matrix and what tells them apart, without importing any
 * framework (support/apps.ts boots them): core-level suites use these too.
 */
export type AppKind = 'express' | 'express4' | 'nest-express' | 'nest-fastify' | 'fastify';
/** Express 5 and 4 (the peer range), Nest on Express and on Fastify, Fastify with this package's plugin. */
export const APP_KINDS: readonly AppKind[] = ['express', 'express4', 'nest-express', 'nest-fastify', 'fastify'];

/** True for the plain Express apps (either major). */
export function isExpress(kind: AppKind): boolean {
  return kind === 'express' || kind === 'express4';
}

/** True where Fastify routes the request (its router is case-sensitive, decodes the path first). */
export function isFastifyRouter(kind: AppKind): boolean {
  return kind === 'nest-fastify' || kind === 'fastify';
}

/** True where the token is checked before any body parser ran (a token in the body is not seen). */
export function authBeforeBody(kind: AppKind): boolean {
  return isExpress(kind) || kind === 'fastify';
}
