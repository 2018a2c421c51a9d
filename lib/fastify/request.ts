import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { NodeRequestView, settleWhenClosed } from '../core/kernel/index.js';
import type { AuditRequest, Decision, DecisionRequest, ErrorResponse, ResourceServer } from '../core/kernel/index.js';

/** The plugin's server, on every request it decided (for the `require*()` preHandlers). */
export const SERVER = Symbol.for('zitadel-resource-server.fastify.server');
/** The request's decision so far, refined by each `require*()` preHandler. */
export const DECISION = Symbol.for('zitadel-resource-server.fastify.decision');

/** A Fastify request with the plugin's per-request state. */
export type HeldRequest = FastifyRequest & { [SERVER]?: ResourceServer | undefined; [DECISION]?: Decision | undefined };

/** The request as the pipeline sees it; role selectors receive the Fastify request. */
export function decisionRequest(request: FastifyRequest): DecisionRequest<FastifyRequest> {
  return { http: new NodeRequestView(request.raw, request), input: request, describe };
}

/** Route template, path, request id and client address, for the audit event. */
function describe(request: FastifyRequest, startedAt: number): AuditRequest {
  const requestId = request.headers['x-request-id'];
  return {
    route: { method: request.method, template: request.routeOptions.url, path: request.url.split('?', 1)[0] ?? '' },
    requestId: typeof requestId === 'string' && requestId !== '' ? requestId.slice(0, 200) : undefined,
    ip: request.ip,
    startedAt,
  };
}

/**
 * Writes a decision in Fastify's terms: `request.auth` and `done()`, or the RFC 6750
 * answer through the reply. An allow still to be audited is settled when the response closes.
 */
export function conclude(request: HeldRequest, reply: FastifyReply, done: HookHandlerDoneFunction, decision: Decision): void {
  request[DECISION] = decision;
  settleWhenClosed(decision, reply.raw);
  if (decision.outcome === 'refuse') {
    request.auth = undefined;
    sendRefusal(reply, decision.response);
    return;
  }
  request.auth = decision.principal;
  done();
}

/** Waits for a decision that may be a promise (the pipeline never rejects), then concludes it. */
export function settleDecision(request: HeldRequest, reply: FastifyReply, done: HookHandlerDoneFunction, decision: Decision | Promise<Decision>): void {
  if (decision instanceof Promise) decision.then((settled) => conclude(request, reply, done, settled), done);
  else conclude(request, reply, done, decision);
}

/** Status, `WWW-Authenticate` / `Retry-After` and the JSON body, exactly as decided; never cached. */
export function sendRefusal(reply: FastifyReply, response: ErrorResponse): void {
  if (reply.sent) return;
  reply
    .code(response.status)
    .headers({ ...response.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .send(JSON.stringify(response.body));
}
