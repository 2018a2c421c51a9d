import type { ExecutionContext } from '@nestjs/common';
import type { DecisionRequest, RefuseDecision } from '../../core/kernel/index.js';
import { auditRequest, bearerRequest, httpRefusal, httpRequest, writeHeaders } from '../resource-server.request.js';
import type { HeaderWriter, PlatformRequest } from '../resource-server.request.js';
import type { ContextAccess } from './context-access.js';

/**
 * An HTTP request on Nest's Express or Fastify platform. Refusals are `HttpException`s
 * with the RFC 6750 status and body, and the `WWW-Authenticate` / `Retry-After` header set
 * on the response.
 */
export const httpAccess: ContextAccess = {
  request(context: ExecutionContext): DecisionRequest<PlatformRequest> {
    const request = httpRequest(context);
    return { http: bearerRequest(request), input: request, describe: auditRequest };
  },
  holder: (context) => httpRequest(context) as object,
  refuse(context: ExecutionContext, decision: RefuseDecision): never {
    writeHeaders(context.switchToHttp().getResponse<HeaderWriter>(), decision.response.headers);
    throw httpRefusal(decision.response, decision.error);
  },
};
