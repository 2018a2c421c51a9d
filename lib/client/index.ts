/**
 * `zitadel-resource-server/client`: access tokens for a ZITADEL service user, for APIs that
 * call other APIs (JWT profile grant or client credentials; cached, refreshed, single-flight).
 *
 * @example
 * ```ts
 * import { createTokenSource, zitadelScopes } from 'zitadel-resource-server/client';
 *
 * const tokens = createTokenSource({
 *   issuer: 'https://acme.zitadel.cloud',
 *   scope: zitadelScopes.apiAccess('294800000000000001'), // audience, roles and organization
 *   credentials: { type: 'client_credentials', clientId: 'orders-reporter', clientSecret: process.env.ORDERS_REPORTER_SECRET! },
 * });
 * const authorization = await tokens.authorizationHeader();
 * ```
 *
 * @packageDocumentation
 */
export { createTokenSource } from './token-source.js';
export type { TokenSource } from './token-source.js';
export type { TokenSourceCredentials, TokenSourceOptions } from './options.js';
export type { ServiceAccountKeyFile } from './key-file.js';
export { TokenSourceError } from './errors.js';
export type { TokenSourceErrorCode } from './errors.js';
export { projectAudienceScope } from './scope.js';
export { zitadelScopes } from './zitadel-scopes.js';
export type { ApiAccessScopeOptions, ZitadelScopes } from './zitadel-scopes.js';
export type { FetchLike, Logger } from '../core/kernel/index.js';
