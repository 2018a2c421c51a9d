/** Injection token of the {@link ResourceServer} instance the module creates. */
export const RESOURCE_SERVER = Symbol.for('zitadel-resource-server.nest.server');
/** Metadata key of the route rules (`@RequireScope`, `@RequireRole`, …). */
export const ROUTE_RULES = 'zitadel-resource-server:route-rules';
/** Metadata key of `@Public()`. */
export const PUBLIC_ROUTE = 'zitadel-resource-server:public';
/** Metadata key of `@Authenticated()`. */
export const AUTHENTICATED_ROUTE = 'zitadel-resource-server:authenticated';
/** Metadata key of `@AuditAllowed()`. */
export const AUDIT_ALLOWED = 'zitadel-resource-server:audit-allowed';
