import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PrefetchOption, ResourceServerOptions } from '../core/kernel/index.js';

/** Options of `ResourceServerModule.forRoot()`: those of `createResourceServer()`, plus `policy`. */
export interface ResourceServerModuleOptions extends ResourceServerOptions {
  /**
   * `'explicit'`: the app refuses to start while a non-public route has no requirement and
   * no `@Authenticated()`, naming each such route. Default `'implicit'` (any valid token).
   */
  readonly policy?: 'explicit' | 'implicit';
  /**
   * Warm-up at module init (`rs.ready()`): discovery and JWKS of every issuer are fetched
   * before the app listens. `true`: a failure is logged and the app starts anyway (requests
   * that need what is missing get 503 until it loads); `{ throwOnError: true }`: the app
   * does not start. Default off (fetched on the first request that needs it).
   */
  readonly prefetch?: PrefetchOption;
}

/** Extras of `forRoot()` / `forRootAsync()`. */
export interface ResourceServerModuleExtras {
  /** Make the module's providers available everywhere. Default true. */
  readonly isGlobal?: boolean;
  /** Install `ResourceServerGuard` as a global guard (deny by default). Default true. */
  readonly globalGuard?: boolean;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: RESOURCE_SERVER_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResourceServerModuleOptions>({ moduleName: 'ResourceServer' })
  .setClassMethodName('forRoot')
  .setExtras<ResourceServerModuleExtras>({ isGlobal: true, globalGuard: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal !== false,
  }))
  .build();
