import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { createResourceServer, flushAudit, jsonLinesAuditSink, ResourceServerOptionsError } from '../core/kernel/index.js';
import type { ResourceServer, ResourceServerOptions } from '../core/kernel/index.js';
import { DECISION, SERVER, decisionRequest, settleDecision } from './request.js';
import type { HeldRequest } from './request.js';
import { resourceMetadataRoute } from './resource-metadata.js';
import { RouteConfigs } from './route-config.js';

/** What the plugin itself takes besides the server (or its options). */
export interface PluginSettings {
  /**
   * Serve RFC 9728 metadata when the server has `resourceMetadata` (default `true`). The
   * document lives at the host root: under a prefix, set `false` and add
   * `resourceMetadataRoute(rs)` at the root.
   */
  readonly metadataRoute?: boolean;
}

/**
 * Options of {@link resourceServer}: a server (`{ server: rs }`), or the options to create
 * one with (then audited to stdout as JSON lines unless `audit` says otherwise, as with
 * Express's `protect(options)`).
 */
export type ResourceServerPluginOptions = PluginSettings & ({ readonly server: ResourceServer } | ResourceServerOptions);

function serverOf(options: ResourceServerPluginOptions): ResourceServer {
  if (!('server' in options)) return createResourceServer({ audit: jsonLinesAuditSink(), ...options });
  if (typeof options.server?.decide !== 'function') throw new ResourceServerOptionsError('"server" option of the resourceServer plugin must be a server from createResourceServer()');
  return options.server;
}

const plugin: FastifyPluginAsync<ResourceServerPluginOptions> = async (fastify: FastifyInstance, options) => {
  const server = serverOf(options);
  const configs = new RouteConfigs();
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined);
  for (const key of [SERVER, DECISION]) if (!fastify.hasRequestDecorator(key)) fastify.decorateRequest(key, undefined);
  // Routes registered after the plugin has loaded are checked at once (a bad `auth` fails
  // the start); the others on their first request. Either way once per route.
  fastify.addHook('onRoute', (route) => void configs.routeOf(route.config?.auth));
  // fastify.close(): the audit events still buffered are written (see flushAudit).
  fastify.addHook('onClose', (_instance, done) => {
    flushAudit(server.options.audit);
    done();
  });
  const authenticate: onRequestHookHandler = (request: HeldRequest, reply, next) => {
    let route;
    try {
      route = configs.routeOf(request.routeOptions.config.auth);
    } catch (error) {
      next(error as Error);
      return;
    }
    if (route === null) {
      next();
      return;
    }
    // The plugin registered again in a child scope continues the request's decision: one
    // decision, one audit event.
    const earlier = request[SERVER] === server ? request[DECISION] : undefined;
    request[SERVER] = server;
    settleDecision(request, reply, next, earlier === undefined ? server.decide(decisionRequest(request), route) : server.refine(earlier, route));
  };
  // Authenticate before the body is read, unless a token may come in the body.
  if (server.options.bearerMethods.includes('body')) fastify.addHook('preValidation', authenticate);
  else fastify.addHook('onRequest', authenticate);
  if (server.options.resourceMetadata && options.metadataRoute !== false) {
    if (fastify.prefix !== '') {
      throw new ResourceServerOptionsError(
        `the RFC 9728 document belongs at the host root, not under "${fastify.prefix}": register the plugin there with "metadataRoute: false" and add app.route(resourceMetadataRoute(rs)) at the root`,
      );
    }
    fastify.route(resourceMetadataRoute(server));
  }
};

/**
 * The Fastify plugin: every route in the scope it is registered in (and its child scopes)
 * needs a valid bearer token unless its `config.auth` says otherwise (see
 * {@link RouteAuthConfig}); `request.auth` is the caller's {@link Principal}. Refusals are
 * RFC 6750 answers (401/400/403, 503 with `Retry-After` when the issuer is unavailable).
 * The `require*()` preHandlers add requirements to the same decision (one audit event).
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * await app.register(resourceServer, { server: createResourceServer({ issuer, audience: projectId, projectId }) });
 * app.get('/orders', { config: { auth: { roles: ['orders.read'] } } }, async (request) => ({ caller: request.auth?.subject }));
 * app.get('/health', { config: { auth: { public: true } } }, async () => ({ ok: true }));
 */
export const resourceServer = fastifyPlugin(plugin, { fastify: '5.x', name: 'zitadel-resource-server' });
