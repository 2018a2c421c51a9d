import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuditRequest } from '../../core/audit.js';
import type { BearerRequest } from '../../core/bearer.js';
import type { ErrorResponse } from '../../core/challenge.js';
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
export function graphqlAccess(context: ExecutionContext, startedAt: number): ContextAccess {
  const value = context.getArgByIndex<GraphqlContextValue | undefined>(2);
  const request = value?.req ?? value?.request ?? value?.reply?.request;
  const reply = value?.res ?? value?.reply ?? request?.res;
  const info = context.getArgByIndex<ResolveInfo | undefined>(3);
  return {
    bearer: (): BearerRequest => (request?.headers !== undefined || request?.raw !== undefined ? bearerRequest(request) : { headers: {} }),
    selectorInput: context.getArgByIndex<unknown>(1),
    holder: holderOf('graphql', context),
    audit: graphqlAudit(request, info, startedAt),
    refuse: (response: ErrorResponse, error: unknown): Promise<never> => {
      writeHeaders(reply, response.headers);
      const refusal = httpRefusal(response, error);
      // Apollo uses the exception's message as the GraphQL error's message.
      refusal.message = response.body.error_description;
      return Promise.reject(refusal);
    },
  };
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
