import type { ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AuditRequest, BearerRequest, DecisionRequest, RefuseDecision } from '../../core/kernel/index.js';
import type { ContextAccess, RefusalBody } from './context-access.js';
import { refusalBody, requestIdOf, transportRequest } from './context-access.js';
import { holderOf } from './holder.js';

// @nestjs/websockets' metadata key of @SubscribeMessage.
const MESSAGE_METADATA = 'message';

/** A socket.io `Socket`, or a `ws` WebSocket with its upgrade request. */
interface SocketLike {
  readonly handshake?: {
    readonly headers?: IncomingMessage['headers'];
    readonly auth?: { readonly token?: unknown };
    readonly address?: string;
    readonly url?: string;
  };
  /** socket.io: the handshake's HTTP request; `ws` (when the app keeps it): the upgrade request. */
  readonly request?: IncomingMessage;
  /** `ws` before 3.0. */
  readonly upgradeReq?: IncomingMessage;
  readonly nsp?: { readonly name?: string };
}

const BEARER_PREFIX = /^bearer(?:[ \t]|$)/i;

/**
 * A gateway message (`(client, data, pattern)`). The token comes from the connection's
 * handshake: the Authorization header of its HTTP request, or socket.io's
 * `auth: { token }` (the bare token; a `Bearer ` prefix is optional) — both at once is two
 * credentials, refused by the pipeline like two Authorization headers.
 * Refusals are `WsException`s carrying `{ error, error_description, status }`, which
 * Nest emits to the client as an `exception` event.
 */
export const wsAccess: ContextAccess = {
  request(context: ExecutionContext): DecisionRequest {
    const client = context.getArgByIndex<SocketLike | undefined>(0);
    const node = client?.request ?? client?.upgradeReq;
    return {
      http: handshakeRequest(client, node),
      input: context.getArgByIndex<unknown>(1),
      describe: (_input, startedAt) => wsAudit(context, client, node, startedAt),
    };
  },
  holder: (context) => holderOf('ws', context),
  async refuse(_context: ExecutionContext, decision: RefuseDecision): Promise<never> {
    throw await wsException(refusalBody(decision.response), decision.error);
  },
};

function handshakeRequest(client: SocketLike | undefined, node: IncomingMessage | undefined): BearerRequest {
  const headers = node?.headers ?? client?.handshake?.headers ?? {};
  const header = headers.authorization;
  const values = node?.headersDistinct?.authorization ?? (header === undefined ? [] : Array.isArray(header) ? header : [header]);
  const token = client?.handshake?.auth?.token;
  const fromAuth = typeof token === 'string' && token !== '' ? [BEARER_PREFIX.test(token) ? token : `Bearer ${token}`] : [];
  return transportRequest(values, fromAuth, node?.url ?? client?.handshake?.url, node?.method);
}

function wsAudit(context: ExecutionContext, client: SocketLike | undefined, node: IncomingMessage | undefined, startedAt: number): AuditRequest {
  const host = context.switchToWs() as { getPattern?: () => unknown };
  const pattern = typeof host.getPattern === 'function' ? host.getPattern() : Reflect.getMetadata(MESSAGE_METADATA, context.getHandler());
  const url = node?.url ?? client?.handshake?.url;
  return {
    route: {
      method: 'WS',
      template: typeof pattern === 'string' ? pattern : undefined,
      path: client?.nsp?.name ?? (url === undefined ? '' : (url.split('?', 1)[0] ?? '')),
    },
    requestId: requestIdOf((node?.headers ?? client?.handshake?.headers)?.['x-request-id']),
    ip: client?.handshake?.address ?? node?.socket?.remoteAddress,
    startedAt,
  };
}

type WsExceptionClass = new (error: object) => Error;
let wsExceptionClass: Promise<WsExceptionClass | undefined> | undefined;

/**
 * A `WsException` carrying `body`. `@nestjs/websockets` is loaded on the first refusal (an
 * optional peer); without it, an `Error` with the body's fields is thrown instead.
 */
async function wsException(body: RefusalBody, cause: unknown): Promise<Error> {
  wsExceptionClass ??= import('@nestjs/websockets').then(
    (module) => module.WsException as WsExceptionClass,
    () => undefined,
  );
  const WsException = await wsExceptionClass;
  const exception = WsException === undefined ? Object.assign(new Error(body.error_description), body) : new WsException(body);
  exception.message = body.error_description;
  Object.defineProperty(exception, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return exception;
}
