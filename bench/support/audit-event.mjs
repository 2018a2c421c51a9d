// A ZITADEL-shaped audit event, as the pipeline builds it: the input of the audit-sink harnesses.

/** Event number `i` (every 20th a refusal) at `time` (ms since the epoch). */
export function auditEvent(i, time = Date.now()) {
  const refused = i % 20 === 0;
  return {
    version: 1,
    time: new Date(time).toISOString(),
    decision: refused ? 'deny' : 'allow',
    ...(refused ? { reason: 'ERR_ROLE_INSUFFICIENT' } : {}),
    status: refused ? 403 : 200,
    subject: '294900000000000001',
    clientId: 'orders-worker',
    organizationId: '294700000000000001',
    tokenId: `V2_29490000000000${i}-at_29490000000001${i}`,
    verifiedBy: 'jwks',
    tokenKind: 'jwt',
    scopes: [],
    roles: ['orders.read'],
    route: { method: 'GET', template: '/api/orders/:id', path: `/api/orders/${i}` },
    requestId: `6b0f2c1e-7c1d-4f2a-9d3e-${String(i).padStart(12, '0')}`,
    ip: '10.0.3.7',
    durationMs: 0.412,
  };
}
