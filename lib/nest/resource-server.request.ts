import { HttpException } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { NodeRequestView } from '../core/kernel/index.js';
import type { AuditRequest, BearerRequest, ErrorResponse, Principal } from '../core/kernel/index.js';
import { heldPrincipal, holderOf } from './contexts/holder.js';

/** An Express request, or a Fastify request (with its Node request in `raw`). */
export interface PlatformRequest {
  readonly raw?: IncomingMessage;
  readonly body?: unknown;
  readonly originalUrl?: string;
  readonly url?: string;
  /** `http` or `https` (Express and Fastify both honour their trust-proxy settings). */
  readonly protocol?: string;
  /** The caller, also set by the guard for interceptors and filters (`@Caller()` is the typed way). */
  auth?: Principal | undefined;
}

/** The platform's request of an HTTP context. */
export function httpRequest(context: ExecutionContext): PlatformRequest {
  return context.switchToHttp().getRequest<PlatformRequest>();
}

/** The request as the pipeline reads it, on Express and on Fastify (its Node request is `raw`). */
export function bearerRequest(request: PlatformRequest): BearerRequest {
  return new NodeRequestView((request.raw ?? request) as IncomingMessage, request);
}

/** Route, request id and client address of a request, for the audit event. */
export function auditRequest(request: PlatformRequest & AuditFields, startedAt: number): AuditRequest {
  const node = (request.raw ?? request) as IncomingMessage;
  const url = request.originalUrl ?? node.url ?? '';
  const requestId = node.headers['x-request-id'];
  return {
    route: {
      method: node.method ?? 'GET',
      template: request.routeOptions?.url ?? request.route?.path,
      path: url.split('?', 1)[0] ?? '',
    },
    requestId: typeof requestId === 'string' && requestId !== '' ? requestId.slice(0, 200) : undefined,
    ip: request.ip ?? node.socket?.remoteAddress,
    startedAt,
  };
}

/** Fields Express (`route`, `ip`) and Fastify (`routeOptions`, `ip`) add to requests. */
interface AuditFields {
  readonly route?: { readonly path?: string };
  readonly routeOptions?: { readonly url?: string };
  readonly ip?: string;
}

/** An Express response (`header`) or a Fastify reply / Node response (`header` / `setHeader`). */
export interface HeaderWriter {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/** Sets the refusal's headers (`WWW-Authenticate`, `Retry-After`) on a response. */
export function writeHeaders(reply: HeaderWriter | undefined, headers: ErrorResponse['headers']): void {
  if (reply === undefined || reply === null) return;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof reply.header === 'function') reply.header(name, value);
    else if (typeof reply.setHeader === 'function') reply.setHeader(name, value);
  }
}

/**
 * The `HttpException` of a refusal: the status and the same `{ error, error_description }`
 * body every adapter sends.
 */
export function httpRefusal(response: ErrorResponse, error: unknown): HttpException {
  return new HttpException({ ...response.body }, response.status, { cause: error });
}

/**
 * The principal the guard left for this call, if any: on the request (HTTP), or kept for
 * the GraphQL operation, the RPC message or the WebSocket connection.
 */
export function principalOf(context: ExecutionContext): Principal | undefined {
  const type = context.getType<string>();
  if (type === 'http') return heldPrincipal(httpRequest(context) as object);
  return heldPrincipal(holderOf(type, context));
}
