import { ResourceServerOptionsError } from './errors.js';
import { checkKeys } from './option-checks.js';

/** Options of `rs.health()` / `rs.ready()` (option `health`). */
export interface HealthOptions {
  /**
   * How long, ms, the issuer may keep failing (discovery, JWKS refresh, introspection) while
   * cached keys keep verifying before `health().ready` turns false. Default: `jwks.maxAge`
   * (300,000); from 0 to 86,400,000. Keys that never loaded are never ready.
   */
  readonly tolerance?: number;
}

/** {@link HealthOptions} after validation. */
export interface ResolvedHealthOptions {
  readonly tolerance: number;
}

/** Nest module option `prefetch`: warm up at module init (`rs.ready()`). */
export type PrefetchOption = boolean | { readonly throwOnError?: boolean };

/** Validates the `health` option; the default tolerance is `jwks.maxAge` (already validated). */
export function resolveHealthOptions(value: unknown, jwksMaxAge: number): ResolvedHealthOptions {
  if (value === undefined) return Object.freeze({ tolerance: jwksMaxAge });
  if (value === null || typeof value !== 'object') throw new ResourceServerOptionsError('"health" option must be an object, e.g. { tolerance: 300000 }');
  checkKeys(value, ['tolerance'], 'health.');
  const tolerance = (value as HealthOptions).tolerance ?? jwksMaxAge;
  if (typeof tolerance !== 'number' || !Number.isInteger(tolerance) || tolerance < 0 || tolerance > 86_400_000) {
    throw new ResourceServerOptionsError(`"health.tolerance" option must be an integer from 0 to 86400000 (ms; got ${String(tolerance)})`);
  }
  return Object.freeze({ tolerance });
}

/**
 * Validates the Nest module option `prefetch`: `undefined` when off, else whether a failed
 * warm-up stops the app.
 */
export function resolvePrefetch(value: unknown): { readonly throwOnError: boolean } | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { throwOnError: false };
  if (value !== null && typeof value === 'object') {
    checkKeys(value, ['throwOnError'], 'prefetch.');
    const throwOnError = (value as { throwOnError?: unknown }).throwOnError;
    if (throwOnError === undefined || typeof throwOnError === 'boolean') return { throwOnError: throwOnError === true };
  }
  throw new ResourceServerOptionsError('"prefetch" option must be true, false or { throwOnError: boolean }');
}
