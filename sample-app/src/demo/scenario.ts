// The demo client: calls the orders API as ZITADEL service users would, one group of
// calls per way of authenticating, and reports what the API answered and why.
import type { AuditEvent } from 'zitadel-resource-server';

import type { AuditLog } from '../audit/audit-log.service.js';

/** The three ways of ZITADEL's service-user guide. */
export type MethodName = 'private key JWT' | 'client credentials' | 'personal access token';

/** How one service user gets tokens. */
export interface DemoMethod {
  readonly name: MethodName;
  /** A token for the allowed and the refused calls. */
  readonly token: () => Promise<string>;
  /**
   * A token the API must refuse with 401, and what it is. The token is new (never sent to
   * the API before), so no cached introspection answer can hide its revocation.
   */
  readonly refusedToken: { readonly label: string; readonly get: () => Promise<string> };
}

/** The organizations the calls name: where the users' roles are granted, and another one. */
export interface DemoOrgs {
  readonly own: { readonly id: string; readonly alias: string };
  readonly other: { readonly id: string; readonly alias: string };
}

type TokenChoice = 'main' | 'refused' | 'none';

interface Step {
  readonly method: MethodName | undefined;
  readonly token: TokenChoice;
  readonly http: 'GET' | 'POST';
  /** Path with `{own}` / `{other}` placeholders for the organization ids. */
  readonly path: string;
  readonly body?: unknown;
  readonly expect: number;
  /** What an allowed call's body shows, in a few words. */
  readonly summary?: (body: unknown) => string;
}

/** One line of the result table. */
export interface Row {
  readonly method: string;
  readonly tokenKind: string;
  readonly verifiedBy: string;
  readonly request: string;
  readonly status: number | undefined;
  readonly expected: number;
  readonly why: string;
  /** True when token kind / verified by come from the client's guess, not from an audit event. */
  readonly inferred: boolean;
  readonly audit: AuditEvent | undefined;
}

const ADMIN = '/api/admin/orders';
const OWN_ORDERS = '/api/orgs/{own}/orders';
const OTHER_ORDERS = '/api/orgs/{other}/orders';

/** Routes that always introspect (`@RequireActiveToken()`), for guessing "verified by" without audit events. */
const ACTIVE_TOKEN_ROUTES = new Set([ADMIN]);

/**
 * Per method: an allowed call, a call refused for a missing role (403), a call with a
 * token that is no longer (or never was) valid (401). Plus the public health route and a
 * call without any token.
 */
function steps(): Step[] {
  return [
    { method: undefined, token: 'none', http: 'GET', path: '/api/health', expect: 200 },

    // Private key JWT (JWT profile grant): a JWT access token, verified locally against
    // the JWKS. The user holds orders.read + orders.write in its own organization only.
    {
      method: 'private key JWT',
      token: 'main',
      http: 'POST',
      path: OWN_ORDERS,
      body: { item: 'bolts M8', quantity: 500 },
      expect: 201,
      summary: (body) => `ok, created by ${field(body, 'createdBy')}`,
    },
    { method: 'private key JWT', token: 'main', http: 'GET', path: OTHER_ORDERS, expect: 403 },
    // The admin route introspects every time: the revocation of a JWT shows there at once
    // (a route verified by JWKS alone would accept the JWT until it expires).
    { method: 'private key JWT', token: 'refused', http: 'GET', path: ADMIN, expect: 401 },

    // Client credentials: an opaque token (ZITADEL's default), so introspection. The
    // user holds orders.read in its own organization.
    {
      method: 'client credentials',
      token: 'main',
      http: 'GET',
      path: OWN_ORDERS,
      expect: 200,
      summary: (body) => `ok, ${count(body)} order(s)`,
    },
    { method: 'client credentials', token: 'main', http: 'POST', path: OWN_ORDERS, body: { item: 'nuts M8', quantity: 500 }, expect: 403 },
    { method: 'client credentials', token: 'refused', http: 'GET', path: OWN_ORDERS, expect: 401 },

    // Personal access token: opaque and long-lived, always introspected. `/api/me`
    // requires the reserved scope urn:zitadel:iam:user:resourceowner, which a PAT carries.
    {
      method: 'personal access token',
      token: 'main',
      http: 'GET',
      path: '/api/me',
      expect: 200,
      summary: (body) => `ok, org ${field(body, 'organization', 'name') ?? field(body, 'organization', 'id')}`,
    },
    { method: 'personal access token', token: 'main', http: 'GET', path: ADMIN, expect: 403 },
    { method: 'personal access token', token: 'refused', http: 'GET', path: OWN_ORDERS, expect: 401 },

    { method: undefined, token: 'none', http: 'GET', path: OWN_ORDERS, expect: 401 },
  ];
}

export interface ScenarioSetup {
  readonly baseUrl: string;
  readonly methods: readonly DemoMethod[];
  readonly orgs: DemoOrgs;
  readonly audit: AuditLog;
}

/** Runs every step whose method is available; a step that cannot even be sent becomes a row with no status. */
export async function runScenario(setup: ScenarioSetup): Promise<Row[]> {
  const byName = new Map(setup.methods.map((method) => [method.name, method]));
  const mainTokens = new Map<MethodName, Promise<string>>();
  const rows: Row[] = [];
  let n = 0;
  for (const step of steps()) {
    const method = step.method === undefined ? undefined : byName.get(step.method);
    if (step.method !== undefined && method === undefined) continue;
    n += 1;
    const path = step.path.replace('{own}', setup.orgs.own.id).replace('{other}', setup.orgs.other.id);
    const display = `${step.http} ${step.path.replace('{own}', setup.orgs.own.alias).replace('{other}', setup.orgs.other.alias)}`;
    const label = step.token === 'refused' ? `${display} (${method?.refusedToken.label})` : step.token === 'none' ? `${display} (no token)` : display;
    let token: string | undefined;
    try {
      if (method && step.token === 'main') {
        if (!mainTokens.has(method.name)) mainTokens.set(method.name, method.token());
        token = await mainTokens.get(method.name);
      } else if (method && step.token === 'refused') {
        token = await method.refusedToken.get();
      }
    } catch (error) {
      rows.push(failedRow(step, label, `could not get a token: ${message(error)}`));
      continue;
    }
    rows.push(await call(setup, step, path, label, token, `demo-${n}`));
  }
  return rows;
}

async function call(setup: ScenarioSetup, step: Step, path: string, label: string, token: string | undefined, requestId: string): Promise<Row> {
  const cursor = setup.audit.total;
  const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': requestId };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (step.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(`${setup.baseUrl}${path}`, {
      method: step.http,
      headers,
      body: step.body === undefined ? undefined : JSON.stringify(step.body),
      signal: AbortSignal.timeout(10_000),
    });
    body = await response.json().catch(() => undefined);
  } catch (error) {
    return failedRow(step, label, `request failed: ${message(error)}`);
  }
  const event = await auditEventOf(setup.audit, cursor, path);
  const ok = response.status >= 200 && response.status < 300;
  const why = ok ? (step.summary?.(body) ?? 'ok') : refusal(response, body);
  // The token's shape says which verifier sees it first: a JWT is checked against the
  // JWKS (and introspected after that only where the route demands), an opaque token is
  // introspected. A refusal before a principal exists leaves verifiedBy out of the event.
  const kind = token === undefined ? '-' : token.split('.').length === 3 ? 'jwt' : 'opaque';
  const firstVerifier = kind === 'jwt' ? 'jwks' : kind === 'opaque' ? 'introspection' : '-';
  const guessedVerifier = kind === 'jwt' && ACTIVE_TOKEN_ROUTES.has(step.path) ? 'introspection' : firstVerifier;
  return {
    method: step.method ?? '(none)',
    tokenKind: event?.tokenKind ?? kind,
    verifiedBy: event ? (event.verifiedBy ?? firstVerifier) : guessedVerifier,
    request: label,
    status: response.status,
    expected: step.expect,
    why,
    inferred: event === undefined && token !== undefined,
    audit: event,
  };
}

/**
 * The audit event of the call just made. The resource server reports a decision before
 * the response is written; allow a few milliseconds in case an implementation reports
 * after it.
 */
async function auditEventOf(audit: AuditLog, cursor: number, path: string): Promise<AuditEvent | undefined> {
  for (let waited = 0; waited <= 50; waited += 10) {
    const events = audit.since(cursor);
    const event = events.find((e) => e.route.path === path) ?? events[0];
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}

/** The reason of a refusal: the JSON body's `error_description`, else the challenge's. */
function refusal(response: Response, body: unknown): string {
  const described = field(body, 'error_description') ?? field(body, 'message');
  if (described !== undefined) return described;
  const challenge = response.headers.get('www-authenticate');
  const fromChallenge = challenge ? /error_description="([^"]*)"/.exec(challenge)?.[1] : undefined;
  return fromChallenge ?? (challenge ? `WWW-Authenticate: ${challenge}` : `HTTP ${response.status}`);
}

function failedRow(step: Step, label: string, why: string): Row {
  return {
    method: step.method ?? '(none)',
    tokenKind: '-',
    verifiedBy: '-',
    request: label,
    status: undefined,
    expected: step.expect,
    why,
    inferred: false,
    audit: undefined,
  };
}

function field(value: unknown, ...path: string[]): string | undefined {
  let current: unknown = value;
  for (const key of path) {
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  }
  return typeof current === 'string' ? current : undefined;
}

function count(body: unknown): number {
  const orders = body !== null && typeof body === 'object' ? (body as { orders?: unknown }).orders : undefined;
  return Array.isArray(orders) ? orders.length : 0;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
