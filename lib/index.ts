export { createResourceServer } from './core/resource-server.js';
export type { ResourceServer } from './core/resource-server.js';
export { createRoute } from './core/pipeline/route.js';
export type { Route, RouteSpec } from './core/pipeline/route.js';
export type { AllowDecision, AnonymousDecision, Decision, DecisionRequest, RefuseDecision } from './core/pipeline/decision.js';
export type { OrganizationSelector, RouteRule } from './core/route-rule.js';
export type {
  IntrospectionAuth,
  IntrospectionOptions,
  JwsAlgorithm,
  ResolvedOptions,
  ResourceServerOptions,
} from './core/options.js';
export type { Principal, ClaimsPreset, TokenKind, VerifiedBy } from './core/principal.js';
export type { Requirement, RoleRequirement, PolicyPredicate } from './core/policy.js';
export { evaluateRequirement } from './core/policy.js';
export {
  AuthError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  MissingTokenError,
  ResourceServerError,
  ResourceServerOptionsError,
  UpstreamError,
  isAuthError,
} from './core/errors.js';
export type { AuthErrorCode, BearerErrorValue, ErrorCode, InsufficientScopeCode, InvalidTokenCode, UpstreamErrorCode } from './core/errors.js';
export { buildChallenge, toErrorResponse } from './core/challenge.js';
export type { ChallengeOptions, ErrorResponse } from './core/challenge.js';
export type { BearerMethod, BearerRequest } from './core/bearer.js';
export { MemoryTokenCache } from './core/token-cache.js';
export type { TokenCache, MemoryTokenCacheOptions } from './core/token-cache.js';
export { MemoryRevocationList } from './core/revocation.js';
export type { RevocationList, RevocationCheck, RevocationTarget, MemoryRevocationListOptions } from './core/revocation.js';
export type { CachedIntrospection } from './core/introspection/introspector.js';
export type { IntrospectionResult } from './core/introspection/introspection-client.js';
export type { ApplicationKeyFile } from './core/introspection/key-file.js';
export type { Logger } from './core/logger.js';
export type { FetchLike } from './core/http.js';
export { hashToken } from './core/token-hash.js';
export { jsonLinesAuditSink } from './core/audit.js';
export type { AuditEvent, AuditRequest, AuditRoute, AuditSink, JsonLinesAuditSink, JsonLinesAuditSinkOptions } from './core/audit.js';
export type {
  FailureSnapshot,
  IntrospectionHealth,
  IssuerHealth,
  JwksHealth,
  ResourceServerHealth,
  SourceHealth,
  StoreHealth,
} from './core/operations/health.js';
export type { ReadyOptions } from './core/operations/readiness.js';
export type { HealthOptions, PrefetchOption } from './core/operations-options.js';
export type { FailureCode } from './core/operations/upstream-report.js';
export { METRIC } from './core/operations/metrics.js';
export { MemoryDpopReplayCache } from './core/dpop.js';
export type { DpopReplayCache, MemoryDpopReplayCacheOptions } from './core/dpop.js';
export type { DpopOptions, IssuerOptions } from './core/options.js';
