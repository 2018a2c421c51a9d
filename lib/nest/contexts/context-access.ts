import type { ExecutionContext } from '@nestjs/common';
import type { AuditRequest } from '../../core/audit.js';
import type { BearerRequest } from '../../core/bearer.js';
import type { ErrorResponse } from '../../core/challenge.js';

/**
 * What the guard needs from one kind of execution context. It translates, it decides
 * nothing: the token is resolved, verified and authorized by the resource server.
 */
export interface ContextAccess {
  /** The request as the token resolver reads it. May throw an `AuthError` (e.g. two carriers). */
  bearer(): BearerRequest;
  /** What `@RequireRole(…, { org: (input) => … })` selectors receive. */
  readonly selectorInput: unknown;
  /** Where the principal is kept for `@Caller()` (see `holderOf`). */
  readonly holder: object | undefined;
  /** Route, request id and address for the audit event. */
  readonly audit: AuditRequest;
  /** Throws the transport's refusal (after setting any headers it can). */
  refuse(response: ErrorResponse, error: unknown): Promise<never>;
}

/** Builds the access of one call; `startedAt` is `performance.now()` when the guard began. */
export type ContextAccessFactory = (context: ExecutionContext, startedAt: number) => ContextAccess;

/** The body RPC and WebSocket refusals carry: the HTTP body, with `status` for `statusCode`. */
export interface RefusalBody {
  readonly status: number;
  readonly error: string;
  readonly error_description: string;
}

/** `{ status, error, error_description }` of an error response. */
export function refusalBody(response: ErrorResponse): RefusalBody {
  return { status: response.status, error: response.body.error, error_description: response.body.error_description };
}

/**
 * Every string value of `name` in a header-like carrier: gRPC `Metadata` (`get` returns an
 * array), NATS headers (`values`), a `Map`, or a plain object (lower-case keys).
 * `undefined` when the carrier is not an object.
 */
export function carrierValues(carrier: unknown, name: string): string[] | undefined {
  if (carrier === null || typeof carrier !== 'object') return undefined;
  const source = carrier as {
    get?: (key: string) => unknown;
    values?: (key: string) => unknown;
    getMap?: unknown;
  } & Record<string, unknown>;
  let value: unknown;
  if (carrier instanceof Map) value = carrier.get(name);
  else if (typeof source.getMap === 'function' && typeof source.get === 'function') value = source.get(name);
  else if (typeof source.values === 'function' && typeof source.get === 'function') value = source.values(name);
  else if (typeof source.get === 'function') value = source.get(name);
  else value = source[name];
  return strings(value);
}

/** A bearer request whose only carrier is the Authorization values given (no query, no body). */
export function headerOnlyRequest(authorization: readonly string[]): BearerRequest {
  const values = [...authorization];
  return {
    headers: values.length === 0 ? {} : { authorization: values[0] },
    headersDistinct: { authorization: values },
  };
}

/** A request id fit for the audit event, or `undefined`. */
export function requestIdOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
