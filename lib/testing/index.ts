/**
 * `zitadel-resource-server/testing`: an in-process, ZITADEL-shaped issuer for tests of
 * protected routes.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'zitadel-resource-server/testing';
 *
 * const issuer = await createTestIssuer();
 * const token = await issuer.mintJwt({ sub: 'alice' });
 * await issuer.close();
 * ```
 *
 * @packageDocumentation
 */
export { createTestIssuer } from './test-issuer.js';
export type {
  MintOpaqueOptions,
  RotateKeysOptions,
  TestIssuer,
  TestIssuerRequestCounts,
} from './test-issuer.js';
export type { MintJwtOptions } from './mint.js';
export type { TestIssuerClientKey, TestIssuerClientSecret, TestIssuerOptions } from './options.js';
export type { OutageMode } from './http-server.js';
export { createTestPrincipal } from './principal.js';
export type { TestPrincipalFields } from './principal.js';
