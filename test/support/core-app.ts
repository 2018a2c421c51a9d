/**
 * The routes of support/apps.ts, at core level: the same policies as `createRoute()` routes,
 * decided by `rs.decide()` on a framework-neutral request view (no socket, no framework).
 * Core behaviour (verification, caching, outages, the attack corpus) is tested here once;
 * apps.ts runs the transport contract on every app kind.
 */
import { createResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServer } from '../../lib/core/resource-server.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createRoute } from '../../lib/core/pipeline/route.js';
import type { Route } from '../../lib/core/pipeline/route.js';
import type { Decision } from '../../lib/core/pipeline/decision.js';
import type { BearerRequest } from '../../lib/core/bearer.js';
import type { Principal } from '../../lib/core/principal.js';

/** The request as a framework hands it over: headers (all of them), target, method, parsed body, route params. */
export interface CoreRequest extends BearerRequest {
  readonly params: Readonly<Record<string, string>>;
}

/** What the app would answer: the decision's status, headers and body, or the route's JSON. */
export interface CoreAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Record<string, unknown>;
  readonly decision: Decision;
}

/** What every route answers: who called (never the token); the same as apps.ts. */
export function summary(caller: Principal | undefined): Record<string, unknown> {
  return caller
    ? { subject: caller.subject, clientId: caller.clientId, organizationId: caller.organizationId, scopes: caller.scopes, roles: caller.roles, verifiedBy: caller.verifiedBy, tokenKind: caller.tokenKind }
    : { subject: null };
}

const orgParam = (req: CoreRequest): string | undefined => req.params.orgId;

/** Method and path template → route policy, as in apps.ts. */
const ROUTES: readonly [method: string, template: RegExp, route: Route<CoreRequest>, created?: boolean][] = [
  ['GET', /^\/public$/, createRoute<CoreRequest>({ optional: true })],
  ['GET', /^\/me$/, createRoute<CoreRequest>()],
  ['GET', /^\/orders$/, createRoute<CoreRequest>({ rules: [{ requirement: { scopes: ['orders:read'] } }] })],
  ['GET', /^\/either$/, createRoute<CoreRequest>({ rules: [{ requirement: { anyScopes: ['a', 'b'] } }] })],
  ['GET', /^\/admin$/, createRoute<CoreRequest>({ rules: [{ requirement: { roles: [{ anyOf: ['orders.admin'] }] } }] })],
  ['POST', /^\/orgs\/(?<orgId>[^/]+)\/orders$/, createRoute<CoreRequest>({ rules: [{ requirement: { roles: [{ anyOf: ['orders.write'] }] }, organization: orgParam }] }), true],
  ['GET', /^\/mine$/, createRoute<CoreRequest>({ rules: [{ requirement: { roles: [{ anyOf: ['orders.read'] }] }, organization: 'own' }] })],
  ['GET', /^\/active$/, createRoute<CoreRequest>({ rules: [{ requirement: { activeToken: true } }, { requirement: { roles: [{ anyOf: ['orders.read'] }] } }] })],
  ['GET', /^\/reports$/, createRoute<CoreRequest>({ rules: [{ requirement: { scopes: ['reports:read'] } }] })],
  ['GET', /^\/reports\/export$/, createRoute<CoreRequest>({ rules: [{ requirement: { scopes: ['reports:read'] } }, { requirement: { roles: [{ anyOf: ['reports.export'] }] } }] })],
];

/** True when `path` (query aside) names one of the routes. */
export function hasCoreRoute(method: string, path: string): boolean {
  const pathname = path.split('?')[0]!;
  return ROUTES.some(([m, template]) => m === method && template.test(pathname));
}

function parseBody(headers: readonly [string, string][], body: string | undefined): unknown {
  if (body === undefined) return undefined;
  const type = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  if (type.startsWith('application/json')) return JSON.parse(body) as unknown;
  return undefined;
}

/**
 * The request view a Node HTTP server builds: `headers` as Node folds them (the first
 * Authorization header only; other repeated headers joined by ", "), `headersDistinct` and
 * `rawHeaders` with every value.
 */
export function coreRequest(options: { method?: string; path?: string; headers?: readonly [string, string][]; body?: string; params?: Record<string, string> } = {}): CoreRequest {
  const headerList = options.headers ?? [];
  const distinct: Record<string, string[]> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of headerList) {
    rawHeaders.push(name, value);
    (distinct[name.toLowerCase()] ??= []).push(value);
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(distinct)) headers[name] = name === 'authorization' ? values[0]! : values.join(', ');
  const path = options.path ?? '/me';
  return {
    method: options.method ?? 'GET',
    url: path,
    originalUrl: path,
    protocol: 'http',
    headers,
    headersDistinct: distinct,
    rawHeaders,
    body: parseBody(headerList, options.body),
    params: options.params ?? {},
  };
}

/** The test routes on one resource server, at core level. */
export interface CoreApp {
  readonly rs: ResourceServer;
  /** Decides `request` on the route its method and path name; throws for a path without a route. */
  send(request?: { method?: string; path?: string; headers?: readonly [string, string][]; body?: string }): Promise<CoreAnswer>;
  /** Shorthand: GET `path` with `Authorization: Bearer <token>` (or none). */
  get(path: string, token?: string): Promise<CoreAnswer>;
}

export function coreApp(options: ResourceServerOptions): CoreApp {
  const rs = createResourceServer(options);
  async function send(request: { method?: string; path?: string; headers?: readonly [string, string][]; body?: string } = {}): Promise<CoreAnswer> {
    const method = request.method ?? 'GET';
    const path = request.path ?? '/me';
    const pathname = path.split('?')[0]!;
    for (const [m, template, route, created] of ROUTES) {
      const match = m === method ? template.exec(pathname) : null;
      if (!match) continue;
      const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
      const req = coreRequest({ ...request, method, path, params });
      const decision = await rs.decide({ http: req, input: req }, route);
      if (decision.outcome === 'refuse') {
        return { status: decision.response.status, headers: decision.response.headers, body: { ...decision.response.body }, decision };
      }
      decision.settle?.();
      return { status: created ? 201 : 200, headers: {}, body: { ...(params.orgId === undefined ? {} : { orgId: params.orgId }), ...summary(decision.principal) }, decision };
    }
    throw new Error(`no core route for ${method} ${path}`);
  }
  return {
    rs,
    send,
    get: (path, token) => send({ path, headers: token === undefined ? [] : [['authorization', `Bearer ${token}`]] }),
  };
}
