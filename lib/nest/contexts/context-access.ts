import type { ExecutionContext } from '@nestjs/common';
import type { BearerRequest, DecisionRequest, ErrorResponse, RefuseDecision } from '../../core/kernel/index.js';

/**
 * What the guard needs from one kind of execution context. It translates, it decides
 * nothing: the request view goes to the resource server's decision pipeline, and its
 * answer comes back in the transport's form.
 */
export interface ContextAccess {
  /** The request as the pipeline reads it: credentials, selector input, audit description. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each transport's own input type
  request(context: ExecutionContext): DecisionRequest<any>;
  /** Where the principal is kept for `@Caller()` (see `holderOf`). */
  holder(context: ExecutionContext): object | undefined;
  /** Throws (or rejects with) the transport's refusal, after setting any headers it can. */
  refuse(context: ExecutionContext, decision: RefuseDecision): never | Promise<never>;
}

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

/**
 * A bearer request of a non-HTTP transport: its header-like Authorization values (more than
 * one is refused by the pipeline, 400), values from other carriers (payload, handshake
 * auth: a token in two places is refused too), and the URL and method when it has them.
 */
export function transportRequest(authorization: readonly string[], otherCarriers: readonly string[] = [], url?: string, method?: string): BearerRequest {
  const values = [...authorization];
  return {
    headers: values.length === 0 ? {} : { authorization: values[0] },
    headersDistinct: { authorization: values },
    otherCarriers,
    url,
    method,
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
