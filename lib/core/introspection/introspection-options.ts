import { ResourceServerOptionsError } from '../errors.js';

/**
 * Limits on the calls this API makes to the introspection endpoint, per trusted issuer
 * (part of the `introspection` option). Every distinct opaque string a caller sends could
 * otherwise become one introspection call made with this API's credentials.
 */
export interface IntrospectionLimitOptions {
  /**
   * Most introspection calls in flight at once, to this issuer, from this process. Default
   * 8, from 1 to 256. A quarter (at least one, when the cap is above 1) is kept for tokens
   * this process has already seen active: when the rest is busy, a never-seen token is
   * refused at once with 503 and `Retry-After: 1` while a known token waits (up to the
   * `timeout`) for a free slot. Tokens with a cached answer never need a slot.
   */
  readonly maxConcurrent?: number;
  /**
   * Most introspections of never-seen tokens per second (token bucket holding one second's
   * worth), to this issuer, from this process. Default 100, from 1 to 100,000. Beyond it a
   * never-seen token gets 503 with `Retry-After` (the time until the bucket refills);
   * tokens seen active before are not counted. After a restart every token is never-seen:
   * a large fleet of callers is let in at this rate (a shared cache, e.g. Redis, avoids it).
   */
  readonly maxNewPerSecond?: number;
  /**
   * How long (ms) introspection stays paused after the endpoint refused this API's own
   * credentials (ZITADEL answers 400 `unauthorized_client`; RFC 6749 servers 401
   * `invalid_client`). That is a misconfiguration that will not heal by retrying: during
   * the pause no call is made, every caller that needs introspection gets 503 with
   * `Retry-After` = the time left, and then one call probes whether it was fixed.
   * Default 60,000, from 30,000 to 3,600,000.
   */
  readonly clientErrorBackoff?: number;
}

/** {@link IntrospectionLimitOptions} after validation, defaults filled in. */
export interface ResolvedIntrospectionLimits {
  readonly maxConcurrent: number;
  readonly maxNewPerSecond: number;
  /** Milliseconds. */
  readonly clientErrorBackoff: number;
}

/** The defaults of {@link IntrospectionLimitOptions}. */
export const DEFAULT_INTROSPECTION_LIMITS: ResolvedIntrospectionLimits = Object.freeze({
  maxConcurrent: 8,
  maxNewPerSecond: 100,
  clientErrorBackoff: 60_000,
});

const RANGES: Readonly<Record<keyof ResolvedIntrospectionLimits, readonly [number, number, string]>> = {
  maxConcurrent: [1, 256, 'upstream calls in flight at once'],
  maxNewPerSecond: [1, 100_000, 'introspections of never-seen tokens per second'],
  clientErrorBackoff: [30_000, 3_600_000, 'milliseconds'],
};

/**
 * Validates the introspection limits of one issuer and fills in defaults. `prefix` is the
 * option path up to and including `introspection.` (e.g. `"issuers[1].introspection."`),
 * so messages quote the option as the user wrote it. Throws
 * {@link ResourceServerOptionsError}. Idempotent: resolving a resolved object returns equal
 * values. Meant to be called by the options module for each `introspection` object, its
 * result spread into the resolved introspection options.
 *
 * @example
 * resolveIntrospectionLimits({ maxConcurrent: 4 }, 'introspection.')
 * // { maxConcurrent: 4, maxNewPerSecond: 100, clientErrorBackoff: 60000 }
 * resolveIntrospectionLimits({ clientErrorBackoff: 1000 }, 'introspection.')
 * // throws: "introspection.clientErrorBackoff" option must be an integer from 30000 to 3600000 (milliseconds), got 1000
 */
export function resolveIntrospectionLimits(options: IntrospectionLimitOptions | undefined, prefix = 'introspection.'): ResolvedIntrospectionLimits {
  if (options === undefined) return DEFAULT_INTROSPECTION_LIMITS;
  if (options === null || typeof options !== 'object') {
    throw new ResourceServerOptionsError(`"${prefix.replace(/\.$/, '')}" option must be an object`);
  }
  const resolved = {} as Record<keyof ResolvedIntrospectionLimits, number>;
  for (const name of Object.keys(RANGES) as (keyof ResolvedIntrospectionLimits)[]) {
    const value: unknown = options[name];
    const [min, max, unit] = RANGES[name];
    if (value === undefined) {
      resolved[name] = DEFAULT_INTROSPECTION_LIMITS[name];
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ResourceServerOptionsError(`"${prefix}${name}" option must be an integer from ${min} to ${max} (${unit}), got ${String(value)}`);
    } else {
      resolved[name] = value;
    }
  }
  return Object.freeze(resolved);
}
