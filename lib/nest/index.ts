export { ResourceServerModule } from './resource-server.module.js';
export { ResourceServerGuard } from './resource-server.guard.js';
export { ResourceServerSubscriptionInterceptor } from './resource-server.subscriptions.js';
export {
  Public,
  RequireScope,
  RequireAnyScope,
  RequireRole,
  RequireActiveToken,
  Caller,
  Authenticated,
  AuditAllowed,
} from './resource-server.decorators.js';
export { ResourceServerHealthIndicator } from './resource-server.health.js';
export type { HealthIndicatorOptions, TerminusIndicatorResult } from './resource-server.health.js';
export { RoutePolicyInspector } from './resource-server.policy.js';
export { applyResourceServerSecurity } from './resource-server.openapi.js';
export type { OpenApiDocumentLike, OpenApiSecurityOptions } from './resource-server.openapi.js';
export type { RoutePolicyEntry, RouteAccess, ReportedRole } from './resource-server.policy.js';
export type { RoleOptions, RouteDecorator } from './resource-server.decorators.js';
export { RESOURCE_SERVER, ROUTE_RULES, PUBLIC_ROUTE, AUTHENTICATED_ROUTE, AUDIT_ALLOWED } from './resource-server.constants.js';
export { RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
export type { ResourceServerModuleOptions, ResourceServerModuleExtras } from './resource-server.module-definition.js';
