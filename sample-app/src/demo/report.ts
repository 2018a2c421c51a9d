import type { RoutePolicyEntry } from 'zitadel-resource-server/nest';
import type { AuditEvent } from 'zitadel-resource-server';

import type { Row } from './scenario.js';
import { asciiTable, styler } from './table.js';

/** The result table; a status that differs from the expected one says so in its cell. */
export function formatRows(rows: readonly Row[], colors: boolean): string {
  const style = styler(colors);
  const table = asciiTable(
    ['method', 'token', 'verified by', 'request', 'status', 'why'],
    rows.map((row) => [
      row.method,
      row.tokenKind,
      row.inferred ? `${row.verifiedBy}*` : row.verifiedBy,
      row.request,
      row.status === row.expected ? String(row.status) : `${row.status ?? '---'} (expected ${row.expected})`,
      row.why,
    ]),
  );
  // Colour whole status cells after layout, so padding stays right.
  if (!colors) return table;
  return table
    .split('\n')
    .map((line, i) => {
      const row = rows[i - 3];
      if (!row || i < 3) return line;
      const cells = line.split('|');
      const cell = cells[5];
      if (cell !== undefined) cells[5] = row.status === row.expected ? style.ok(cell) : style.bad(cell);
      return cells.join('|');
    })
    .join('\n');
}

/**
 * One compact line per audit event: time, decision, status, reason, route, who, how the
 * token was checked, its id (`jti` or a hash, never the token), duration.
 */
export function formatAuditEvent(event: AuditEvent): string {
  const parts = [
    event.time.slice(11, 23),
    event.decision.padEnd(11),
    String(event.status),
    `${event.route.method} ${event.route.template ?? event.route.path}`,
    event.reason ?? '',
    event.subject ? `sub=${event.subject}` : '',
    event.clientId && event.clientId !== event.subject ? `client=${event.clientId}` : '',
    event.organizationId ? `org=${event.organizationId}` : '',
    event.tokenKind || event.verifiedBy ? `${event.tokenKind ?? '?'}/${event.verifiedBy ?? '?'}` : '',
    event.roles.length > 0 ? `roles=${event.roles.join(',')}` : '',
    event.tokenId ? `tokenId=${event.tokenId}` : '',
    `req=${event.requestId}`,
    `${Math.round(event.durationMs * 10) / 10}ms`,
  ];
  return parts.filter((part) => part !== '').join('  ');
}

/** One line per route: method, path (with the global prefix), and who may call it. */
export function formatPolicyReport(routes: readonly RoutePolicyEntry[]): string[] {
  const rows = routes.map((route) => {
    const parts: string[] = [];
    if (route.scopes.length > 0) parts.push(`scopes ${route.scopes.join(' ')}`);
    for (const set of route.anyScopes) parts.push(`any scope of ${set.join(' ')}`);
    for (const role of route.roles) {
      const where = role.organization === 'any' ? '' : role.organization === 'own' ? " in the caller's org" : role.organization === 'per-request' ? ' in the org of the resource' : ` in org ${role.organization.id}`;
      parts.push(`role ${role.anyOf.join('|')}${where}`);
    }
    if (route.activeToken) parts.push('active token (always introspected)');
    const policy = route.access === 'public' ? 'public' : route.access === 'authenticated' ? 'any valid token' : parts.join(' + ');
    return [`${route.method} /api${route.path === '/' ? '' : route.path}`, policy] as const;
  });
  const width = Math.max(...rows.map(([route]) => route.length));
  return rows.map(([route, policy]) => `${route.padEnd(width)}  ${policy}`);
}
