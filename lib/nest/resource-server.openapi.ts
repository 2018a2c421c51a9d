import { RoutePolicyInspector } from './resource-server.policy.js';
import type { RoutePolicyEntry } from './resource-server.policy.js';

/** The parts of an OpenAPI 3 document this function reads and writes (what `SwaggerModule.createDocument` returns). */
export interface OpenApiDocumentLike {
  paths: { [path: string]: object | undefined };
  components?: { securitySchemes?: Record<string, unknown> };
}

/** Options of {@link applyResourceServerSecurity}. */
export interface OpenApiSecurityOptions {
  /** Name of the security scheme. Default `'zitadel'`. */
  readonly schemeName?: string;
  /** The app's global prefix (`app.setGlobalPrefix('api')` → `'api'`), which the route report does not include. */
  readonly globalPrefix?: string;
}

interface Operation {
  security?: Record<string, string[]>[];
  description?: string;
  responses?: Record<string, unknown>;
  'x-zitadel-roles'?: unknown;
  'x-zitadel-active-token'?: boolean;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Adds each route's policy to an OpenAPI document built by `@nestjs/swagger`: a bearer
 * security scheme, `security` with the required scopes on protected operations (and `[]`
 * on public ones), the required roles in `x-zitadel-roles` and the description, and 401/403
 * responses. Reads the same decorators the guard enforces, so the document cannot drift
 * from the policy. `@nestjs/swagger` stays an optional peer: this only edits the object.
 *
 * @example
 * const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Orders').build());
 * applyResourceServerSecurity(document, app, { globalPrefix: 'api' });
 * SwaggerModule.setup('docs', app, document);
 */
export function applyResourceServerSecurity<T extends OpenApiDocumentLike>(
  document: T,
  app: { get(type: typeof RoutePolicyInspector): RoutePolicyInspector },
  options: OpenApiSecurityOptions = {},
): T {
  const scheme = options.schemeName ?? 'zitadel';
  document.components ??= {};
  document.components.securitySchemes ??= {};
  document.components.securitySchemes[scheme] = {
    type: 'http',
    scheme: 'bearer',
    description: 'A ZITADEL access token (JWT or opaque) or personal access token, sent as `Authorization: Bearer <token>`.',
  };
  for (const route of app.get(RoutePolicyInspector).report()) {
    const method = route.method.toLowerCase();
    if (!METHODS.has(method)) continue;
    const pathItem = document.paths[openApiPath(route.path, options.globalPrefix)] as Record<string, Operation | undefined> | undefined;
    const operation = pathItem?.[method];
    if (!operation) continue;
    if (route.access === 'public') {
      operation.security = [];
      continue;
    }
    operation.security = [{ [scheme]: [...route.scopes] }];
    const requirements = describe(route);
    if (requirements) operation.description = operation.description ? `${operation.description}\n\n${requirements}` : requirements;
    if (route.roles.length > 0) operation['x-zitadel-roles'] = route.roles;
    if (route.activeToken) operation['x-zitadel-active-token'] = true;
    operation.responses ??= {};
    operation.responses['401'] ??= { description: 'No valid access token (see WWW-Authenticate)' };
    operation.responses['403'] ??= { description: 'The token lacks a required scope or role (see WWW-Authenticate)' };
  }
  return document;
}

function openApiPath(path: string, prefix: string | undefined): string {
  const joined = [prefix ?? '', path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
  return `/${joined}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function describe(route: RoutePolicyEntry): string {
  const parts: string[] = [];
  if (route.scopes.length > 0) parts.push(`scopes ${route.scopes.join(', ')}`);
  for (const set of route.anyScopes) parts.push(`one of the scopes ${set.join(', ')}`);
  for (const role of route.roles) {
    const where =
      role.organization === 'any' ? '' : role.organization === 'own' ? " in the caller's organization" : role.organization === 'per-request' ? ' in the organization of the resource' : ` in organization ${role.organization.id}`;
    parts.push(`role ${role.anyOf.join(' or ')}${where}`);
  }
  if (route.activeToken) parts.push('an active token (introspected on every call)');
  return parts.length > 0 ? `**Requires:** ${parts.join('; ')}.` : '**Requires:** a valid access token.';
}
