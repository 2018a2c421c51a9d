import { Inject, Injectable, RequestMethod } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { ResourceServerOptionsError } from '../core/kernel/index.js';
import { readRoutePolicy } from './resource-server.route-policy.js';
import { RESOURCE_SERVER } from './resource-server.constants.js';
import { subscriptionsGuarded } from './resource-server.subscriptions.js';
import { RESOURCE_SERVER_OPTIONS } from './resource-server.module-definition.js';
import type { ResourceServerModuleOptions } from './resource-server.module-definition.js';

// Nest's own metadata keys (read as strings: the optional packages are never imported).
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
/** @nestjs/microservices: @MessagePattern / @EventPattern / @GrpcMethod. */
const PATTERN_METADATA = 'microservices:pattern';
/** @nestjs/websockets: @WebSocketGateway and @SubscribeMessage. */
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';
/** @nestjs/graphql: @Query / @Mutation / @Subscription. */
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const RESOLVER_NAME_METADATA = 'graphql:resolver_name';
/** @nestjs/graphql: @ResolveField. */
const RESOLVER_PROPERTY_METADATA = 'graphql:resolve_property';
/** @nestjs/graphql's injection token of the GraphQL module options (`fieldResolverEnhancers`). */
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/**
 * True when a provider class of the app has a GraphQL `@Subscription()` method (its own or
 * inherited). Read from the classes, so it works while the providers are being created,
 * before any of them is.
 */
export function hasGraphqlSubscriptions(discovery: DiscoveryService, scanner: MetadataScanner): boolean {
  for (const wrapper of discovery.getProviders()) {
    const prototype = providerPrototype(wrapper);
    if (prototype === undefined) continue;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler === 'function' && Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) === 'Subscription') return true;
    }
  }
  return false;
}

/**
 * The prototype a provider's methods come from, before or after it is made: a class
 * provider's class, a value provider's value (`useValue`: no class is registered, its
 * instance is there from the start), a made factory's product. A factory not made yet has
 * none to read: should it give a resolver with a subscription, RoutePolicyInspector finds
 * it once the app is made and refuses to start.
 */
function providerPrototype(wrapper: { metatype?: unknown; inject?: unknown; instance?: unknown }): Record<string, unknown> | undefined {
  const instance = wrapper.instance;
  if (instance !== null && typeof instance === 'object') {
    const prototype = Object.getPrototypeOf(instance) as unknown;
    if (prototype !== null && typeof prototype === 'object' && prototype !== Object.prototype) return prototype as Record<string, unknown>;
  }
  const type = wrapper.metatype as { prototype?: unknown } | null | undefined;
  // A factory's metatype is the factory, not the class of what it gives.
  if (typeof type !== 'function' || wrapper.inject != null) return undefined;
  const prototype = type.prototype;
  return prototype !== null && typeof prototype === 'object' ? (prototype as Record<string, unknown>) : undefined;
}

/** Who may call a route. */
export type RouteAccess = 'public' | 'authenticated' | 'restricted';

/** A role requirement as the report shows it. */
export interface ReportedRole {
  readonly anyOf: readonly string[];
  /** Where the role must be granted: anywhere, a fixed organization, the caller's own, or decided per request. */
  readonly organization: 'any' | 'own' | 'per-request' | { readonly id: string };
}

/** One route and its effective policy. */
export interface RoutePolicyEntry {
  /** Which transport the handler serves. */
  readonly kind: 'http' | 'rpc' | 'ws' | 'graphql';
  /** HTTP method; `RPC`, `WS`, the GraphQL operation type (`Query`, `Mutation`, `Subscription`), or `Field` for a `@ResolveField`. */
  readonly method: string;
  /**
   * HTTP: controller path + handler path (without a global prefix or version). RPC: the
   * message pattern. WS: the event. GraphQL: the field name.
   */
  readonly path: string;
  readonly controller: string;
  readonly handler: string;
  readonly access: RouteAccess;
  /** All of these scopes. */
  readonly scopes: readonly string[];
  /** At least one scope of each set. */
  readonly anyScopes: readonly (readonly string[])[];
  readonly roles: readonly ReportedRole[];
  readonly activeToken: boolean;
  /** False for a non-public route that has no requirement and no `@Authenticated()`. */
  readonly explicit: boolean;
}

/**
 * Reads every route's effective policy from its decorators: the least-privilege report,
 * and the check behind `policy: 'explicit'` (the app refuses to start while a non-public
 * route has no explicit requirement).
 *
 * @example
 * const report = app.get(RoutePolicyInspector).report();
 * console.table(report.map((r) => ({ route: `${r.method} ${r.path}`, access: r.access, roles: r.roles.map((x) => x.anyOf.join('|')).join(' & ') })));
 */
@Injectable()
export class RoutePolicyInspector implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(RESOURCE_SERVER_OPTIONS) private readonly options: ResourceServerModuleOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(RESOURCE_SERVER) private readonly server: object,
  ) {}

  onModuleInit(): void {
    const entries = this.#entries();
    const conflicts = [...new Set(entries.map((e) => e.conflict).filter((c): c is string => c !== undefined))];
    if (conflicts.length > 0) {
      throw new ResourceServerOptionsError(
        `@Public() and a requirement on the same controller or method contradict each other; keep one of them ` +
          `(a method with requirements on a @Public() controller stays protected by them):\n${conflicts.map((c) => `  ${c}`).join('\n')}`,
      );
    }
    // Nest runs no guards on @ResolveField methods unless the GraphQL module says so: a
    // requirement there would be accepted and silently never enforced.
    const fieldGuards = this.#fieldResolversGuarded();
    const unguarded = fieldGuards ? [] : entries.filter((e) => e.method === 'Field' && e.access === 'restricted');
    if (unguarded.length > 0) {
      throw new ResourceServerOptionsError(
        `these GraphQL field resolvers have requirements that would never be enforced: Nest runs no guards on @ResolveField methods ` +
          `unless GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards'] }) is set. Set it, or move the requirement to the query:\n` +
          unguarded.map((r) => `  ${r.path} (${r.controller}.${r.handler})`).join('\n'),
      );
    }
    // A subscription outlives the request that started it: only the interceptor ends it when
    // its token expires or is revoked. Installed with the global guard where @nestjs/graphql
    // resolves from the app's directory; if that lookup missed, say so rather than stream on.
    const streams = entries.filter((e) => e.method === 'Subscription' && e.access !== 'public');
    if (streams.length > 0 && !subscriptionsGuarded(this.server)) {
      throw new ResourceServerOptionsError(
        `these GraphQL subscriptions need ResourceServerSubscriptionInterceptor, which ends them when their token expires or is revoked, ` +
          `and it is not installed; add { provide: APP_INTERCEPTOR, useClass: ResourceServerSubscriptionInterceptor } to a module's providers:\n` +
          streams.map((r) => `  Subscription.${r.path} (${r.controller}.${r.handler})`).join('\n'),
      );
    }
    if (this.options.policy !== 'explicit') return;
    // Field resolvers without guards are covered by the operation's decision.
    const implicit = entries.filter((route) => !route.explicit && (fieldGuards || route.method !== 'Field'));
    if (implicit.length === 0) return;
    const list = implicit.map((r) => `  ${r.method} ${r.path} (${r.controller}.${r.handler})`).join('\n');
    throw new ResourceServerOptionsError(
      `policy: 'explicit' — these routes have no explicit requirement; add @RequireScope/@RequireRole/@RequireActiveToken, ` +
        `@Authenticated() (any valid token) or @Public():\n${list}`,
    );
  }

  /** True when the GraphQL module runs guards on field resolvers (`fieldResolverEnhancers: ['guards']`). */
  #fieldResolversGuarded(): boolean {
    let options: { fieldResolverEnhancers?: readonly string[] } | undefined;
    try {
      options = this.moduleRef.get(GRAPHQL_MODULE_OPTIONS, { strict: false });
    } catch {
      return false;
    }
    return options?.fieldResolverEnhancers?.includes('guards') === true;
  }

  /**
   * Every handler the guard protects, with its effective policy: HTTP routes and message
   * handlers of controllers, GraphQL queries, mutations and subscriptions of resolvers, and
   * WebSocket gateway events.
   */
  report(): RoutePolicyEntry[] {
    return this.#entries().map(({ conflict: _conflict, ...entry }) => entry);
  }

  #entries(): (RoutePolicyEntry & { readonly conflict: string | undefined })[] {
    const entries: (RoutePolicyEntry & { readonly conflict: string | undefined })[] = [];
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      // The instance's own class: a factory's metatype is the factory, a value provider
      // (`useValue`) has none — and the guard reads the class of the instance it runs on.
      const type = instance.constructor as (abstract new (...args: never[]) => unknown) | undefined;
      if (typeof type !== 'function' || type === Object) continue;
      const gateway = Reflect.getMetadata(GATEWAY_METADATA, type) === true;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const route = routeOf(handler, name, type, gateway);
        if (route) entries.push(this.#entry(type, handler, name, route));
      }
    }
    return entries;
  }

  #entry(
    type: abstract new (...args: never[]) => unknown,
    handler: object,
    name: string,
    route: Pick<RoutePolicyEntry, 'kind' | 'method' | 'path'>,
  ): RoutePolicyEntry & { readonly conflict: string | undefined } {
    // The very function the guard reads: the report is what is enforced.
    const policy = readRoutePolicy(type, handler);
    const rules = policy.rules;
    const scopes = [...new Set(rules.flatMap((r) => r.requirement.scopes ?? []))];
    const anyScopes = rules.map((r) => r.requirement.anyScopes ?? []).filter((set) => set.length > 0);
    const roles: ReportedRole[] = rules.flatMap((rule) =>
      (rule.requirement.roles ?? []).map((role) => ({
        anyOf: role.anyOf,
        organization:
          rule.organization === undefined ? 'any' : rule.organization === 'own' ? 'own' : typeof rule.organization === 'function' ? 'per-request' : { id: rule.organization },
      })),
    );
    const activeToken = rules.some((r) => r.requirement.activeToken === true);
    const restricted = scopes.length > 0 || anyScopes.length > 0 || roles.length > 0 || activeToken || rules.some((r) => (r.requirement.predicates?.length ?? 0) > 0);
    return {
      ...route,
      controller: type.name,
      handler: name,
      access: policy.isPublic ? 'public' : restricted ? 'restricted' : 'authenticated',
      scopes,
      anyScopes,
      roles,
      activeToken,
      explicit: policy.isPublic || restricted || policy.authenticated,
      conflict: policy.conflict,
    };
  }
}

/** What a handler answers, read from the decorators Nest and its transports put on it. */
function routeOf(handler: object, name: string, type: object, gateway: boolean): Pick<RoutePolicyEntry, 'kind' | 'method' | 'path'> | undefined {
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  if (method !== undefined && Reflect.getMetadata(PATH_METADATA, handler) !== undefined) {
    return { kind: 'http', method: RequestMethod[method] ?? String(method), path: joinPaths(Reflect.getMetadata(PATH_METADATA, type), Reflect.getMetadata(PATH_METADATA, handler)) };
  }
  const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as unknown[] | undefined;
  if (Array.isArray(patterns) && patterns.length > 0) {
    return { kind: 'rpc', method: 'RPC', path: patterns.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' | ') };
  }
  if (gateway && Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === true) {
    return { kind: 'ws', method: 'WS', path: String(Reflect.getMetadata(MESSAGE_METADATA, handler)) };
  }
  const operation = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) as string | undefined;
  if (operation === 'Query' || operation === 'Mutation' || operation === 'Subscription') {
    // The field is named after the method unless the decorator names it.
    const field = Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) as string | undefined;
    return { kind: 'graphql', method: operation, path: field ?? name };
  }
  if (Reflect.getMetadata(RESOLVER_PROPERTY_METADATA, handler) === true) {
    const field = Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) as string | undefined;
    return { kind: 'graphql', method: 'Field', path: field ?? name };
  }
  return undefined;
}

function joinPaths(...parts: unknown[]): string {
  const segments = parts.flatMap((part) => (Array.isArray(part) ? part.slice(0, 1) : [part])).filter((p): p is string => typeof p === 'string');
  const path = segments.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
  return `/${path}`;
}
