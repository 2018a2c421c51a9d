import type { RouteOptions } from 'fastify';
import { METADATA_HEADERS, ResourceServerOptionsError } from '../core/kernel/index.js';
import type { ResourceServer } from '../core/kernel/index.js';

/**
 * The RFC 9728 protected-resource metadata route (`GET /.well-known/oauth-protected-resource…`,
 * HEAD too) of a server created with `resourceMetadata`. The plugin adds it by itself; add
 * it yourself at the root when the plugin is registered under a prefix (`metadataRoute: false`).
 *
 * @example
 * import Fastify from 'fastify';
 * const app = Fastify();
 * app.route(resourceMetadataRoute(rs));
 * app.register(async (api) => { await api.register(resourceServer, { server: rs, metadataRoute: false }); }, { prefix: '/api' });
 */
export function resourceMetadataRoute(server: ResourceServer): RouteOptions {
  const metadata = server.options.resourceMetadata;
  if (!metadata) throw new ResourceServerOptionsError('resourceMetadataRoute() needs a server created with the "resourceMetadata" option');
  const body = JSON.stringify(metadata.document);
  return {
    method: 'GET',
    url: metadata.path,
    config: { auth: { public: true } },
    handler: (_request, reply) => {
      reply.headers(METADATA_HEADERS).send(body);
    },
  };
}
