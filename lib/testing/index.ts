/**
 * `zitadel-resource-server/testing`: an in-process issuer that speaks ZITADEL's wire format,
 * for tests of protected routes.
 *
 * @example
 * ```ts
 * import { createTestIssuer } from 'zitadel-resource-server/testing';
 *
 * const issuer = await createTestIssuer({ keys: 'shared' });
 * const token = await issuer.issueToken({ accessTokenType: 'jwt' });
 * await issuer.close();
 * ```
 *
 * @packageDocumentation
 */
export { createTestIssuer } from './test-issuer.js';
export type {
  IssueTokenRequest,
  MintOpaqueOptions,
  PersonalAccessTokenOptions,
  RoleClaimsOptions,
  RotateKeysOptions,
  TestIssuer,
  TestIssuerRequestCounts,
} from './test-issuer.js';
export { createTestKeys, importTestKeys } from './key-ring.js';
export type { TestIssuerKeys } from './key-ring.js';
export type { MintJwtOptions } from './mint.js';
export type { TestIssuerClientKey, TestIssuerClientSecret, TestIssuerOptions } from './options.js';
export type { OutageMode } from './http-server.js';
export { createTestPrincipal } from './principal.js';
export type { TestPrincipalFields } from './principal.js';
export type { AccessTokenType, RoleGrants, TestOrganization, TestServiceUser, TestServiceUserOptions } from './directory.js';
export type { PatAudience, ServiceUserGrant, TokenActor } from './zitadel-claims.js';
export type { OpaqueTokenFormat } from './zitadel.js';
