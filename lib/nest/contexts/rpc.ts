import type { ExecutionContext } from '@nestjs/common';
import type { AuditRequest, BearerRequest, DecisionRequest, ErrorResponse, RefuseDecision } from '../../core/kernel/index.js';
import type { ContextAccess, RefusalBody } from './context-access.js';
import { carrierValues, refusalBody, requestIdOf, transportRequest } from './context-access.js';
import { holderOf } from './holder.js';

// @nestjs/microservices' metadata key of @MessagePattern / @GrpcMethod.
const PATTERN_METADATA = 'microservices:pattern';

/** gRPC status codes (grpc/status.h). */
const GRPC_STATUS: Readonly<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 503: 14 };
const GRPC_UNKNOWN = 2;

/** The parts of the transports' RPC contexts read here (TcpContext, NatsContext, MqttContext, …). */
interface RpcContextLike {
  getHeaders?: () => unknown;
  getMetadata?: () => unknown;
  getPattern?: () => unknown;
  getSubject?: () => unknown;
  getTopic?: () => unknown;
  getChannel?: () => unknown;
  getSocketRef?: () => { readonly netSocket?: { readonly remoteAddress?: string } } | undefined;
}

/** gRPC `Metadata` (from `@grpc/grpc-js`), read without importing it. */
interface GrpcMetadata {
  get(key: string): unknown[];
  set(key: string, value: string): void;
  getMap(): unknown;
}

interface GrpcCall {
  getPath?: () => string;
  getPeer?: () => string;
}

/**
 * A message handler call (`(data, context[, call])`). The token comes from the message's
 * metadata: gRPC `Metadata`, the headers of transports that have them (NATS), the metadata
 * of a TCP packet (Nest 12 `setOnDispatchHook`), and as a last resort, for transports
 * without any, the payload (`data.headers.authorization`, then `data.authorization`).
 * Credentials in more than one of these places are refused by the pipeline (400), like two
 * Authorization headers. Refusals are `RpcException`s: `{ error, error_description, status }`,
 * or for gRPC `{ code, message }` with the gRPC status and a `www-authenticate` /
 * `retry-after` trailer.
 */
export const rpcAccess: ContextAccess = {
  request(context: ExecutionContext): DecisionRequest {
    const data = context.getArgByIndex<unknown>(0);
    const rpc = context.getArgByIndex<unknown>(1);
    const grpc = isGrpcMetadata(rpc) ? rpc : undefined;
    const carrier = grpc ?? metadataOf(rpc as RpcContextLike | undefined);
    return {
      http: messageCredentials(carrier, grpc === undefined ? data : undefined),
      input: data,
      describe: (_input, startedAt) => rpcAudit(context, rpc as RpcContextLike | undefined, grpc, carrier, data, startedAt),
    };
  },
  holder: (context) => holderOf('rpc', context),
  async refuse(context: ExecutionContext, decision: RefuseDecision): Promise<never> {
    const rpc = context.getArgByIndex<unknown>(1);
    const body = isGrpcMetadata(rpc) ? grpcError(rpc, decision.response) : refusalBody(decision.response);
    throw await rpcException(body, decision.response.body.error_description, decision.error);
  },
};

function isGrpcMetadata(value: unknown): value is GrpcMetadata {
  const candidate = value as Partial<GrpcMetadata> | null | undefined;
  return typeof candidate?.getMap === 'function' && typeof candidate.get === 'function' && typeof candidate.set === 'function';
}

function metadataOf(rpc: RpcContextLike | undefined): unknown {
  if (rpc === null || typeof rpc !== 'object') return undefined;
  if (typeof rpc.getHeaders === 'function') return rpc.getHeaders();
  if (typeof rpc.getMetadata === 'function') return rpc.getMetadata();
  return undefined;
}

/**
 * The credentials of a message: its metadata's Authorization values, else the payload's
 * `headers.authorization` (transports without metadata); a payload `authorization` (or
 * payload headers beside metadata) is one more carrier — a token in two places is refused.
 */
function messageCredentials(carrier: unknown, data: unknown): BearerRequest {
  const metadata = carrierValues(carrier, 'authorization') ?? [];
  if (data === null || typeof data !== 'object') return transportRequest(metadata);
  const payload = data as { readonly headers?: unknown; readonly authorization?: unknown };
  const payloadHeaders = carrierValues(payload.headers, 'authorization') ?? [];
  const payloadField = typeof payload.authorization === 'string' ? [payload.authorization] : [];
  if (metadata.length === 0) return transportRequest(payloadHeaders, payloadField);
  return transportRequest(metadata, [...payloadHeaders, ...payloadField]);
}

function grpcError(metadata: GrpcMetadata, response: ErrorResponse): Record<string, unknown> {
  const description = response.body.error_description;
  let trailers: GrpcMetadata | undefined;
  try {
    trailers = new (metadata.constructor as new () => GrpcMetadata)();
    for (const [name, value] of Object.entries(response.headers)) trailers.set(name, value);
  } catch {
    trailers = undefined;
  }
  return {
    code: GRPC_STATUS[response.status] ?? GRPC_UNKNOWN,
    message: description,
    details: description,
    ...(trailers === undefined ? {} : { metadata: trailers }),
  };
}

type RpcExceptionClass = new (error: object) => Error;
let rpcExceptionClass: Promise<RpcExceptionClass | undefined> | undefined;

/**
 * An `RpcException` carrying `body`. `@nestjs/microservices` is loaded on the first refusal
 * (it is an optional peer); without it, an `Error` with the body's fields is thrown instead.
 */
async function rpcException(body: RefusalBody | Record<string, unknown>, message: string, cause: unknown): Promise<Error> {
  rpcExceptionClass ??= import('@nestjs/microservices').then(
    (module) => module.RpcException as RpcExceptionClass,
    () => undefined,
  );
  const RpcException = await rpcExceptionClass;
  const exception = RpcException === undefined ? Object.assign(new Error(message), body) : new RpcException(body);
  exception.message = message;
  Object.defineProperty(exception, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return exception;
}

function rpcAudit(
  context: ExecutionContext,
  rpc: RpcContextLike | undefined,
  grpc: GrpcMetadata | undefined,
  carrier: unknown,
  data: unknown,
  startedAt: number,
): AuditRequest {
  const call = grpc === undefined ? undefined : context.getArgByIndex<GrpcCall | undefined>(2);
  const template = grpc === undefined ? patternOf(context, rpc) : (call?.getPath?.() ?? patternOf(context, undefined));
  const payloadHeaders = data !== null && typeof data === 'object' ? (data as { headers?: unknown }).headers : undefined;
  const requestId = carrierValues(carrier, 'x-request-id')?.[0] ?? carrierValues(payloadHeaders, 'x-request-id')?.[0];
  return {
    route: { method: 'RPC', template, path: template ?? '' },
    requestId: requestIdOf(requestId),
    ip: grpc === undefined ? rpc?.getSocketRef?.()?.netSocket?.remoteAddress : peerAddress(call?.getPeer?.()),
    startedAt,
  };
}

/** The message's pattern, subject, topic or channel; else the handler's declared pattern. */
function patternOf(context: ExecutionContext, rpc: RpcContextLike | undefined): string | undefined {
  if (rpc !== null && typeof rpc === 'object') {
    const named = rpc.getPattern?.() ?? rpc.getSubject?.() ?? rpc.getTopic?.() ?? rpc.getChannel?.();
    if (typeof named === 'string') return named;
  }
  const declared = (Reflect.getMetadata(PATTERN_METADATA, context.getHandler()) as unknown[] | undefined)?.[0];
  if (declared === undefined) return undefined;
  return typeof declared === 'string' ? declared : JSON.stringify(declared);
}

/** `127.0.0.1:5000`, `[::1]:5000`, `ipv4:127.0.0.1:5000` (older grpc-js) → the address. */
function peerAddress(peer: string | undefined): string | undefined {
  if (typeof peer !== 'string') return undefined;
  const match = /^(?:ipv[46]:)?\[?([^\]]*?)\]?:\d+$/.exec(peer);
  return match?.[1] ?? peer;
}
