import { IssuerUnavailableError, ResourceServerOptionsError } from '../errors.js';
import type { ThrottledLog } from '../logger.js';
import type { ResolvedOptions } from '../options.js';
import type { TrustedIssuer } from '../trusted-issuer.js';
import type { ResourceServerHealth, StoreHealth } from './health.js';
import { safeText } from './upstream-report.js';

/** Options of `rs.ready()`. */
export interface ReadyOptions {
  /**
   * Reject (with an `IssuerUnavailableError` naming what is missing) when the warm-up leaves
   * the server not ready. Default false: one clear log line, and the promise resolves.
   */
  readonly throwOnError?: boolean;
}

/**
 * Warm-up and health of one resource server: `ready()` loads what decisions need, within
 * the cooldowns; `health()` reads the state of every part without I/O.
 */
export class Readiness {
  constructor(
    private readonly issuers: readonly TrustedIssuer[],
    private readonly options: ResolvedOptions,
    private readonly log: ThrottledLog,
  ) {}

  /** See `ResourceServer.ready`. */
  async ready(options: ReadyOptions = {}): Promise<ResourceServerHealth> {
    if (options === null || typeof options !== 'object') throw new ResourceServerOptionsError('ready() takes { throwOnError?: boolean }');
    await Promise.all(this.issuers.map((issuer) => issuer.warmUp()));
    const health = this.health();
    if (health.ready) return health;
    const problems = health.issuers.filter((issuer) => !issuer.ready).map((issuer) => `${issuer.issuer}: ${issuer.problems.join('; ')}`);
    if (health.revocation !== undefined && !health.revocation.reachable && this.options.revocationUnavailable === 'fail-closed') {
      problems.push(`the revocation list is unreachable (${health.revocation.status ?? 'unknown state'})`);
    }
    const summary = problems.join(' | ');
    if (options.throwOnError === true) throw new IssuerUnavailableError(`The resource server is not ready: ${summary}`);
    this.log.error(
      'ready',
      `Warm-up incomplete, the resource server is not ready: ${summary}. The app keeps running; requests that need what is missing get 503 with Retry-After until it loads.`,
    );
    return health;
  }

  /** See `ResourceServer.health`. */
  health(): ResourceServerHealth {
    const tolerance = this.options.health.tolerance;
    const issuers = this.issuers.map((issuer) => issuer.health(tolerance));
    const revocation = storeHealth(this.options.revocation);
    const revocationOk = revocation === undefined || revocation.reachable || this.options.revocationUnavailable !== 'fail-closed';
    return {
      ready: revocationOk && issuers.every((issuer) => issuer.ready),
      time: new Date(this.options.now()).toISOString(),
      issuers,
      revocation,
    };
  }
}

function storeHealth(store: { health?: () => StoreHealth } | undefined): StoreHealth | undefined {
  if (store?.health === undefined) return undefined;
  try {
    const health = store.health();
    return {
      reachable: health.reachable === true,
      ...(health.status === undefined ? {} : { status: safeText(String(health.status), 60) }),
      ...(health.endpoint === undefined ? {} : { endpoint: safeText(String(health.endpoint), 200) }),
    };
  } catch (error) {
    return { reachable: false, status: error instanceof Error ? safeText(error.message, 120) : 'health() threw' };
  }
}
