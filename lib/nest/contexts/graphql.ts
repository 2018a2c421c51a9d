import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuditRequest, DecisionRequest, RefuseDecision } from '../../core/kernel/index.js';
import { bearerRequest, httpRefusal, writeHeaders } from '../resource-server.request.js';
import type { HeaderWriter, PlatformRequest } from '../resource-server.request.js';
import type { ContextAccess } from './context-access.js';
import { requestIdOf } from './context-access.js';
import { holderOf } from './holder.js';

/** A GraphQL request as `@nestjs/apollo` (Express: `req`, `res` via `req.res`; Fastify: `req`) or mercurius (`reply`) build it. */
interface GraphqlContextValue {
  readonly req?: GraphqlHttpRequest;
  readonly request?: GraphqlHttpRequest;
  readonly res?: HeaderWriter;
  readonly reply?: HeaderWriter & { readonly request?: GraphqlHttpRequest };
}

type GraphqlHttpRequest = PlatformRequest & {
  readonly res?: HeaderWriter;
  readonly headers?: IncomingMessage['headers'];
  readonly ip?: string;
};

/** The part of graphql-js' `GraphQLResolveInfo` the audit event names. */
interface ResolveInfo {
  readonly fieldName?: string;
  readonly parentType?: { readonly name?: string };
}

/**
 * A resolver call (`(root, args, context, info)`): the token comes from the HTTP request
 * behind the operation; refusals are `HttpException`s, which the Apollo driver turns into
 * GraphQL errors (`extensions.code`, and the JSON body in `extensions.originalError`).
 * `@nestjs/graphql` is never imported: the arguments are read as they are.
 */
export const graphqlAccess: ContextAccess = {
  request(context: ExecutionContext): DecisionRequest {
    const request = httpRequestOf(context);
    const info = context.getArgByIndex<ResolveInfo | undefined>(3);
    return {
      http: request?.headers !== undefined || request?.raw !== undefined ? bearerRequest(request) : { headers: {} },
      input: context.getArgByIndex<unknown>(1),
      describe: (_input, startedAt) => graphqlAudit(request, info, startedAt),
    };
  },
  holder: (context) => holderOf('graphql', context),
  refuse(context: ExecutionContext, decision: RefuseDecision): never {
    const value = context.getArgByIndex<GraphqlContextValue | undefined>(2);
    writeHeaders(value?.res ?? value?.reply ?? httpRequestOf(context)?.res, decision.response.headers);
    throw graphqlRefusal(decision);
  },
};

/** Apollo's codes for the refusal statuses (README "GraphQL, microservices, WebSockets"). */
const CODES: Readonly<Record<number, string>> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN' };

/**
 * A refusal as a GraphQL error: an `HttpException` whose message is the description and
 * whose `extensions` carry the code and the refusal body. Apollo formats HTTP operations the
 * same way from the exception; graphql-ws (subscriptions) passes the thrown error's
 * `extensions` on as they are, so WebSocket clients get the same `code` and `originalError`.
 */
export function graphqlRefusal(decision: RefuseDecision): Error {
  const refusal = httpRefusal(decision.response, decision.error) as Error & { extensions?: Record<string, unknown> };
  refusal.message = decision.response.body.error_description;
  refusal.extensions = {
    code: CODES[decision.response.status] ?? 'INTERNAL_SERVER_ERROR',
    status: decision.response.status,
    originalError: { ...decision.response.body },
  };
  return refusal;
}

function httpRequestOf(context: ExecutionContext): GraphqlHttpRequest | undefined {
  const value = context.getArgByIndex<GraphqlContextValue | undefined>(2);
  return value?.req ?? value?.request ?? value?.reply?.request;
}

function graphqlAudit(request: GraphqlHttpRequest | undefined, info: ResolveInfo | undefined, startedAt: number): AuditRequest {
  const node = (request?.raw ?? request) as (Partial<IncomingMessage> & { originalUrl?: string }) | undefined;
  const url = request?.originalUrl ?? node?.url;
  const field = info?.fieldName === undefined ? undefined : `${info.parentType?.name ?? 'Unknown'}.${info.fieldName}`;
  return {
    route: {
      method: node?.method ?? 'POST',
      template: field,
      path: url === undefined ? '/graphql' : (url.split('?', 1)[0] ?? ''),
    },
    requestId: requestIdOf(node?.headers?.['x-request-id']),
    ip: request?.ip ?? node?.socket?.remoteAddress,
    startedAt,
  };
}
