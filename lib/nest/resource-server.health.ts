import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResourceServer, ResourceServerHealth } from '../core/kernel/index.js';
import { RESOURCE_SERVER } from './resource-server.constants.js';

/** The parts of `@nestjs/terminus` (11 and 12) used here, typed locally: it stays an optional peer. */
interface HealthIndicatorSessionLike {
  up(data?: Record<string, unknown>): TerminusIndicatorResult;
  down(data?: Record<string, unknown>): TerminusIndicatorResult;
}
interface HealthIndicatorServiceLike {
  check(key: string): HealthIndicatorSessionLike;
}
type HealthIndicatorServiceClass = new () => HealthIndicatorServiceLike;

/** What a terminus health indicator returns: `{ [key]: { status: 'up' | 'down', ...details } }`. */
export type TerminusIndicatorResult = Record<string, { readonly status: 'up' | 'down' } & Record<string, unknown>>;

/** Options of {@link ResourceServerHealthIndicator.isHealthy}. */
export interface HealthIndicatorOptions {
  /**
   * Run `rs.ready()` first (default true): what is not loaded yet (or stale) is fetched,
   * within the cooldowns, so the probe itself warms up a server that had no traffic. `false`
   * reads `rs.health()` only.
   */
  readonly warmUp?: boolean;
}

// A variable specifier: TypeScript and bundlers leave the optional peer alone.
const TERMINUS = '@nestjs/terminus';

/**
 * A `@nestjs/terminus` health indicator for the resource server: `up` when `rs.health()`
 * says ready (every issuer's keys loaded, nothing failing beyond `health.tolerance`),
 * `down` with the problems otherwise. Provided by `ResourceServerModule`; terminus (11 or
 * 12) is an optional peer, loaded only when the indicator is first used, and its
 * `HealthIndicatorService` builds the result.
 *
 * @example
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly auth: ResourceServerHealthIndicator) {}
 *
 *   @Get('ready') @Public() @AuditAllowed(false) @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.auth.isHealthy('zitadel')]);
 *   }
 * }
 */
@Injectable()
export class ResourceServerHealthIndicator {
  #service: Promise<HealthIndicatorServiceLike> | undefined;

  constructor(
    @Inject(RESOURCE_SERVER) private readonly server: ResourceServer,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  /** The indicator's result under `key` (default `'zitadel'`). Never rejects for an unhealthy server: it answers `down`. */
  async isHealthy(key = 'zitadel', options: HealthIndicatorOptions = {}): Promise<TerminusIndicatorResult> {
    const health = options.warmUp === false ? this.server.health() : await this.server.ready();
    const session = (await this.#indicatorService()).check(key);
    const details = summarize(health);
    return health.ready ? session.up(details) : session.down(details);
  }

  #indicatorService(): Promise<HealthIndicatorServiceLike> {
    this.#service ??= import(TERMINUS).then(
      (terminus: { HealthIndicatorService?: HealthIndicatorServiceClass }) => {
        const Service = terminus.HealthIndicatorService;
        if (typeof Service !== 'function') throw new Error('ResourceServerHealthIndicator needs @nestjs/terminus 11 or later (HealthIndicatorService)');
        try {
          // The app's own instance when TerminusModule is imported; it has no dependencies otherwise.
          return this.moduleRef.get(Service, { strict: false });
        } catch {
          return new Service();
        }
      },
      () => {
        throw new Error('ResourceServerHealthIndicator needs @nestjs/terminus: npm install @nestjs/terminus');
      },
    );
    this.#service.catch(() => {
      this.#service = undefined;
    });
    return this.#service;
  }
}

/** What the probe shows: per issuer, ready or why not, and the keys' age; no credentials. */
function summarize(health: ResourceServerHealth): Record<string, unknown> {
  return {
    issuers: health.issuers.map((issuer) => ({
      issuer: issuer.issuer,
      ready: issuer.ready,
      ...(issuer.problems.length === 0 ? {} : { problems: issuer.problems }),
      jwks: { loaded: issuer.jwks.loaded, fresh: issuer.jwks.fresh, ageMs: issuer.jwks.ageMs },
      ...(issuer.introspection === undefined ? {} : { introspection: { credentials: issuer.introspection.credentials } }),
    })),
    ...(health.revocation === undefined ? {} : { revocation: { reachable: health.revocation.reachable } }),
  };
}
