import { Inject, Logger, Module, RequestMethod } from '@nestjs/common';
import type { DynamicModule, MiddlewareConsumer, NestModule, OnApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { auditLine, createResourceServer, flushAudit, resolvePrefetch, ResourceServerOptionsError, writeMetadata } from '../core/kernel/index.js';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { AuditEvent, AuditSink, ResourceServer } from '../core/kernel/index.js';
import { RESOURCE_SERVER } from './resource-server.constants.js';
import { ResourceServerGuard } from './resource-server.guard.js';
import { ResourceServerSubscriptionInterceptor } from './resource-server.subscriptions.js';
import { ResourceServerHealthIndicator } from './resource-server.health.js';
import { hasGraphqlSubscriptions, RoutePolicyInspector } from './resource-server.policy.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
  RESOURCE_SERVER_OPTIONS,
} from './resource-server.module-definition.js';
import type { ResourceServerModuleOptions } from './resource-server.module-definition.js';

const serverProvider: Provider = {
  provide: RESOURCE_SERVER,
  inject: [RESOURCE_SERVER_OPTIONS],
  useFactory: (options: ResourceServerModuleOptions): ResourceServer => {
    if (options?.policy !== undefined && options.policy !== 'explicit' && options.policy !== 'implicit') {
      throw new ResourceServerOptionsError('"policy" option must be "explicit" or "implicit"');
    }
    resolvePrefetch(options?.prefetch);
    return createResourceServer({ logger: new Logger('ResourceServer'), audit: nestLoggerAuditSink(), ...options });
  },
};

/**
 * The default audit sink in Nest: each event handed as an object to Nest's `Logger`
 * (context `ResourceServerAudit`), on Nest 11 and 12 alike — the app's logger decides what
 * to print: structured loggers (nestjs-pino, `new ConsoleLogger({ json: true })`) get the
 * event's fields, Nest's default console logger one JSON line (see {@link AuditLogRecord}).
 */
function nestLoggerAuditSink(): AuditSink {
  const logger = new Logger('ResourceServerAudit');
  return (event: AuditEvent) => logger.log(new AuditLogRecord(event));
}

/**
 * An audit event as handed to Nest's `Logger`: the event's fields as own properties (what a
 * structured logger reads and `JSON.stringify` writes), and a `util.inspect` form that is the
 * event's JSON. Nest's default `ConsoleLogger` prints an object message with `util.inspect`
 * (`ConsoleLogger.stringifyMessage`, `@nestjs/common` 11 and 12): a plain event came out as
 * `Object(17) { … }` over 17 lines and cost about twice the CPU of this one line (measured
 * in process, Nest 12's `ConsoleLogger` writing to /dev/null: 20–25 against 10–13 µs per
 * event). One line per event is also what log shippers split on.
 */
class AuditLogRecord {
  constructor(event: AuditEvent) {
    Object.assign(this, event);
  }

  [inspect.custom](): string {
    // The same line as the JSON-lines sink writes (C1 controls escaped, see auditLine).
    return auditLine(this as unknown as AuditEvent);
  }
}

// useExisting, not useClass: the global guard is the module's ResourceServerGuard provider,
// so Test.createTestingModule(...).overrideProvider(ResourceServerGuard) replaces it in tests.
const globalGuard: Provider = { provide: APP_GUARD, useExisting: ResourceServerGuard };

// Ends GraphQL subscriptions whose decision no longer holds (token expired or revoked). Nest
// runs every global interceptor on every call, and any interceptor at all puts each call
// through its RxJS pipeline (measured: about 50-75 µs per HTTP request). So it is offered
// only where @nestjs/graphql resolves, and made only when a resolver has a @Subscription():
// otherwise the factory gives nothing, which Nest skips (11 and 12 alike). Should that scan
// miss a subscription, RoutePolicyInspector refuses to start: none streams unchecked.
const subscriptionInterceptor: Provider = {
  provide: APP_INTERCEPTOR,
  inject: [RESOURCE_SERVER, DiscoveryService, MetadataScanner],
  useFactory: (server: ResourceServer, discovery: DiscoveryService, scanner: MetadataScanner): ResourceServerSubscriptionInterceptor | null =>
    hasGraphqlSubscriptions(discovery, scanner) ? new ResourceServerSubscriptionInterceptor(server) : null,
};

/**
 * Whether the app can load `@nestjs/graphql`, looked up from the app's directory and from its
 * main script's (not with `import.meta`: Jest's CommonJS transform of this package would choke
 * on it). A package that is there but exports no `require` entry counts as installed. Should
 * both lookups miss in an app that has restricted subscriptions, RoutePolicyInspector refuses
 * to start: a subscription never streams unchecked.
 */
function graphqlInstalled(): boolean {
  const bases = [join(process.cwd(), 'package.json'), process.argv[1]].filter((base): base is string => typeof base === 'string' && base !== '');
  for (const base of bases) {
    try {
      createRequire(base).resolve('@nestjs/graphql');
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
    }
  }
  return false;
}

/**
 * Protects every route of the application: importing it installs `ResourceServerGuard`
 * globally (deny by default; `@Public()` opts a route out). Options are validated when the
 * module starts, so a misconfiguration stops the app at boot with a message naming the
 * option.
 *
 * @example
 * @Module({
 *   imports: [ResourceServerModule.forRoot({ issuer: 'https://acme.zitadel.cloud', audience: projectId, projectId })],
 * })
 * export class AppModule {}
 *
 * @example
 * ResourceServerModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ issuer: config.getOrThrow('ZITADEL_ISSUER'), audience: config.getOrThrow('ZITADEL_PROJECT_ID') }),
 * })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [serverProvider, ResourceServerGuard, RoutePolicyInspector, ResourceServerHealthIndicator],
  exports: [RESOURCE_SERVER, ResourceServerGuard, RoutePolicyInspector, ResourceServerHealthIndicator],
})
export class ResourceServerModule extends ConfigurableModuleClass implements NestModule, OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(RESOURCE_SERVER) private readonly server: ResourceServer,
    @Inject(RESOURCE_SERVER_OPTIONS) private readonly moduleOptions: ResourceServerModuleOptions,
  ) {
    super();
  }

  /** With `prefetch`: warms up (discovery, JWKS) before the app listens; see `rs.ready()`. */
  async onModuleInit(): Promise<void> {
    const prefetch = resolvePrefetch(this.moduleOptions?.prefetch);
    if (prefetch === undefined) return;
    await this.server.ready({ throwOnError: prefetch.throwOnError });
  }

  /**
   * `app.close()`: the audit events still buffered are written (a JSON-lines sink writes in
   * batches). With `enableShutdownHooks()` Nest re-raises SIGTERM once closed, and a process
   * ended by a signal runs no `exit` listener.
   */
  onApplicationShutdown(): void {
    flushAudit(this.server.options.audit);
  }

  /** Serves RFC 9728 metadata at `/.well-known/oauth-protected-resource…` when configured. */
  configure(consumer: MiddlewareConsumer): void {
    const metadata = this.server.options.resourceMetadata;
    if (!metadata) return;
    const body = JSON.stringify(metadata.document);
    const serve = (req: IncomingMessage, res: ServerResponse) => writeMetadata(res, body, req.method === 'HEAD');
    consumer.apply(serve).forRoutes({ path: metadata.path, method: RequestMethod.GET }, { path: metadata.path, method: RequestMethod.HEAD });
  }

  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return withGuard(super.forRoot(options), options.globalGuard);
  }

  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withGuard(super.forRootAsync(options), options.globalGuard);
  }
}

function withGuard(module: DynamicModule, install: boolean | undefined): DynamicModule {
  // The interceptor acts only on subscriptions ResourceServerGuard allowed, so it is installed
  // with `globalGuard: false` too: a guard applied by hand (@UseGuards) ends its streams as well.
  const installed = [...(install === false ? [] : [globalGuard]), ...(graphqlInstalled() ? [subscriptionInterceptor] : [])];
  return { ...module, providers: [...(module.providers ?? []), ...installed] };
}
