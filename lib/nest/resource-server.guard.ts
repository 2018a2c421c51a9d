import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Requirement } from '../core/policy.js';
import { FAST_AUTHORIZE, FAST_PATH } from '../core/resource-server.js';
import type { FastPaths, ResourceServer } from '../core/resource-server.js';
import { bindRule } from '../core/route-rule.js';
import type { RouteRule } from '../core/route-rule.js';
import type { Principal } from '../core/principal.js';
import { PUBLIC_ROUTE, RESOURCE_SERVER, ROUTE_RULES } from './resource-server.constants.js';
import { auditRequest, bearerRequest, fastBearerRequest, httpRefusal, httpRequest, writeHeaders } from './resource-server.request.js';
import type { HeaderWriter, PlatformRequest } from './resource-server.request.js';
import { contextAccess, keepPrincipal } from './contexts/index.js';

/** A route's policy, read once per handler. */
interface RoutePolicy {
  readonly isPublic: boolean;
  readonly rules: readonly RouteRule[];
  /** The requirements when no rule depends on the request (bound once); else undefined. */
  readonly fixed: readonly Requirement[] | undefined;
}

/**
 * The global guard `ResourceServerModule` installs: every route needs a valid bearer token
 * unless it is `@Public()`; controller and method requirements both apply. Refusals are
 * answered with the RFC 6750 status, `WWW-Authenticate` and a small JSON body, on both
 * the Express and the Fastify platform.
 *
 * GraphQL resolvers, microservice message handlers (TCP, gRPC, NATS, …) and WebSocket
 * gateways are protected by the same decorators: the token comes from the HTTP request
 * behind the operation, the message metadata, or the connection's handshake, and refusals
 * are the transport's exception (`HttpException`, `RpcException`, `WsException`). Other
 * context types are denied.
 */
@Injectable()
export class ResourceServerGuard implements CanActivate {
  readonly #logger = new Logger('ResourceServerGuard');
  readonly #policies = new WeakMap<object, RoutePolicy>();
  readonly #warnedTypes = new Set<string>();

  constructor(
    @Inject(RESOURCE_SERVER) private readonly server: ResourceServer & FastPaths,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const type = context.getType<string>();
    if (type !== 'http') return this.#activateOther(type, context);
    const startedAt = performance.now();
    const policy = this.#policy(context);
    const request = httpRequest(context);
    const server = this.server;
    // A token whose verdict is cached, on a route that needs no I/O: decided in this tick.
    let principal: Principal | undefined;
    try {
      principal = server[FAST_PATH]?.(fastBearerRequest(request));
      if (principal) {
        const allowed = policy.isPublic ? principal : server[FAST_AUTHORIZE]?.(principal, this.#requirements(policy, principal, request));
        if (allowed) return this.#allow(request, allowed, startedAt);
      }
    } catch (error) {
      return this.#deny(context, request, policy, startedAt, principal, error);
    }
    return this.#activateAsync(context, request, policy, startedAt, principal);
  }

  async #activateAsync(context: ExecutionContext, request: PlatformRequest, policy: RoutePolicy, startedAt: number, known: Principal | undefined): Promise<boolean> {
    let principal = known;
    try {
      principal ??= await this.server.verifyRequest(bearerRequest(request));
      if (!policy.isPublic) principal = await this.server.authorize(principal, this.#requirements(policy, principal, request));
    } catch (error) {
      return this.#deny(context, request, policy, startedAt, principal, error);
    }
    return this.#allow(request, principal, startedAt);
  }

  #requirements(policy: RoutePolicy, principal: Principal, request: PlatformRequest): readonly Requirement[] {
    return policy.fixed ?? policy.rules.map((rule) => bindRule(rule, principal, request));
  }

  #allow(request: PlatformRequest, principal: Principal, startedAt: number): true {
    keepPrincipal(request, principal);
    request.auth = principal;
    this.server.record(() => auditRequest(request, startedAt), { principal });
    return true;
  }

  /** Public routes ignore a bad token (no principal); others are refused per RFC 6750. */
  #deny(context: ExecutionContext, request: PlatformRequest, policy: RoutePolicy, startedAt: number, principal: Principal | undefined, error: unknown): true {
    if (policy.isPublic) {
      this.server.record(() => auditRequest(request, startedAt), {});
      return true;
    }
    this.server.record(() => auditRequest(request, startedAt), { principal, error });
    throw this.#refusal(context, error);
  }

  /** GraphQL, RPC and WebSocket calls: the same decision, read and refused per transport. */
  async #activateOther(type: string, context: ExecutionContext): Promise<boolean> {
    const factory = contextAccess(type);
    if (factory === undefined) {
      if (!this.#warnedTypes.has(type)) {
        this.#warnedTypes.add(type);
        this.#logger.error(`Denied a "${type}" request: ResourceServerGuard supports http, graphql, rpc and ws contexts only`);
      }
      return false;
    }
    const startedAt = performance.now();
    const policy = this.#policy(context);
    const access = factory(context, startedAt);
    let principal: Principal | undefined;
    try {
      principal = await this.server.verifyRequest(access.bearer());
      if (!policy.isPublic) {
        const verified = principal;
        const requirements: Requirement[] = policy.rules.map((rule) => bindRule(rule, verified, access.selectorInput));
        principal = await this.server.authorize(verified, requirements);
      }
    } catch (error) {
      if (policy.isPublic) {
        keepPrincipal(access.holder, undefined);
        this.server.record(access.audit, {});
        return true;
      }
      this.server.record(access.audit, { principal, error });
      return access.refuse(this.server.toErrorResponse(error), error);
    }
    keepPrincipal(access.holder, principal);
    this.server.record(access.audit, { principal });
    return true;
  }

  #policy(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    let policy = this.#policies.get(handler);
    if (!policy) {
      const targets = [handler, context.getClass()];
      const classRules = this.reflector.get<RouteRule[] | undefined>(ROUTE_RULES, context.getClass()) ?? [];
      const methodRules = this.reflector.get<RouteRule[] | undefined>(ROUTE_RULES, handler) ?? [];
      const rules = [...classRules, ...methodRules];
      const requestIndependent = rules.every((rule) => rule.organization === undefined || (typeof rule.organization === 'string' && rule.organization !== 'own'));
      policy = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true,
        rules,
        // bindRule reads neither the principal nor the request for these rules.
        fixed: requestIndependent ? rules.map((rule) => bindRule(rule, undefined as never, undefined)) : undefined,
      };
      this.#policies.set(handler, policy);
    }
    return policy;
  }

  #refusal(context: ExecutionContext, error: unknown): HttpException {
    const response = this.server.toErrorResponse(error);
    writeHeaders(context.switchToHttp().getResponse<HeaderWriter>(), response.headers);
    return httpRefusal(response, error);
  }
}

