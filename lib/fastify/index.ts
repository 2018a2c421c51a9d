import type { Principal } from '../core/kernel/index.js';
import type { RouteAuthConfig } from './route-config.js';

export { resourceServer } from './plugin.js';
export type { PluginSettings, ResourceServerPluginOptions } from './plugin.js';
export type { RouteAuthConfig } from './route-config.js';
export { requireScope, requireAnyScope, requireRole, requireActiveToken } from './require.js';
export type { AuthHook, RoleOptions } from './require.js';
export { resourceMetadataRoute } from './resource-metadata.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified caller, set by the resourceServer plugin. Undefined on optional and
     * public routes without a valid token, and outside the plugin's scope.
     */
    auth: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** What the route asks of its callers (see `RouteAuthConfig`); absent: any valid token. */
    auth?: RouteAuthConfig;
  }
}
