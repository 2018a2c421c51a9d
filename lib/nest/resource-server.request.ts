import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuditRequest } from '../core/audit.js';
import type { BearerRequest } from '../core/bearer.js';
import type { Principal } from '../core/principal.js';
import { PRINCIPAL } from './resource-server.constants.js';

/** An Express request, or a Fastify request (with its Node request in `raw`). */
export interface PlatformRequest {
  readonly raw?: IncomingMessage;
  readonly body?: unknown;
  readonly originalUrl?: string;
  readonly url?: string;
  /** `http` or `https` (Express and Fastify both honour their trust-proxy settings). */
  readonly protocol?: string;
  auth?: Principal | undefined;
  [PRINCIPAL]?: Principal | undefined;
}

/** The platform's request of an HTTP context. */
export function httpRequest(context: ExecutionContext): PlatformRequest {
  return context.switchToHttp().getRequest<PlatformRequest>();
}

/** The request as the bearer token resolver reads it (both Express and Fastify). */
export function bearerRequest(request: PlatformRequest): BearerRequest {
  const node = (request.raw ?? request) as IncomingMessage & { originalUrl?: string };
  return {
    headers: node.headers,
    headersDistinct: node.headersDistinct,
    rawHeaders: node.rawHeaders,
    url: node.originalUrl ?? node.url,
    body: request.body,
    method: node.method,
    protocol: request.protocol,
  };
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

/** The principal the guard left on the request, if any. */
export function principalOf(context: ExecutionContext): Principal | undefined {
  if (context.getType() !== 'http') return undefined;
  return httpRequest(context)[PRINCIPAL];
}
