/**
 * The one door into `lib/core` for the package's other modules (`lib/client`, `lib/redis`,
 * `lib/testing`, and the Express, Nest and Fastify adapters). They import from here and
 * from nowhere else in core — `eslint.config.js` enforces it — so what core shares is
 * listed in one place and everything else in core stays private to it.
 *
 * Not part of the public API: users import from the package's entry points.
 */

// Shared building blocks: HTTP, logging, URL rules, option checks, ZITADEL key files, RFC 7523.
export { requestJson, UpstreamError } from '../http.js';
export type { FetchLike, JsonResponse } from '../http.js';
export { consoleLogger, ThrottledLog } from '../logger.js';
export type { Logger } from '../logger.js';
export { isAllowedEndpoint } from '../url.js';
export { checkKeys, describeValue, fail, integerOption } from '../option-checks.js';
export { readZitadelKeyFile } from './zitadel-key-file.js';
export type { LoadedZitadelKey, ZitadelKeyFileKind } from './zitadel-key-file.js';
export { signJwtAssertion } from './jwt-assertion.js';
export type { JwtAssertionInput } from './jwt-assertion.js';
export { clientSecretBasic } from '../introspection/client-auth.js';
export { hashToken } from '../token-hash.js';

// The contracts a shared store (lib/redis) implements.
export type { CachedIntrospection } from '../introspection/introspector.js';
export type { DpopReplayCache } from '../dpop.js';
export { revocationEntry } from '../revocation.js';
export type { RevocationCheck, RevocationList, RevocationTarget } from '../revocation.js';
export type { ResourceServerHealth, StoreHealth } from '../operations/health.js';
export type { TokenCache } from '../token-cache.js';

// What an adapter needs to build a request view, run the pipeline and write its answer.
export { createResourceServer } from '../resource-server.js';
export type { ResourceServer } from '../resource-server.js';
export type { ResourceServerOptions } from '../options.js';
export { createRoute } from '../pipeline/route.js';
export type { Route } from '../pipeline/route.js';
export type { Decision, DecisionRequest, RefuseDecision } from '../pipeline/decision.js';
export { settleWhenClosed } from '../pipeline/decision.js';
export type { BearerRequest } from '../bearer.js';
export { NodeRequestView } from '../pipeline/request-view.js';
export type { FrameworkRequest } from '../pipeline/request-view.js';
export type { Principal } from '../principal.js';
export type { OrganizationSelector, RouteRule } from '../route-rule.js';
export { activeTokenRule, anyScopesRule, rolesRule, scopesRule } from '../rule-factory.js';
export { AuthError, ResourceServerOptionsError } from '../errors.js';
export { toErrorResponse } from '../challenge.js';
export type { ErrorResponse } from '../challenge.js';
export { auditLine, flushAudit, jsonLinesAuditSink } from '../audit.js';
export type { AuditEvent, AuditRequest, AuditSink } from '../audit.js';
export { METADATA_HEADERS, writeMetadata } from '../resource-metadata.js';
export { resolvePrefetch } from '../operations-options.js';
export type { PrefetchOption } from '../operations-options.js';
