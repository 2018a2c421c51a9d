// Shared by every bench server: configuration from the parent, the response body, and
// the IPC handshake (`ready` with the port; `stop` → exit 0, so `--cpu-prof` gets written).

/**
 * The package under test: this checkout's dist/, or the build of another commit when the
 * parent passes ZRS_DIST (`npm run bench -- --compare <ref>`), so both run in one bench.
 * `zrs('express')` imports dist/express/index.js, `zrs()` dist/index.js.
 */
export function zrs(subpath) {
  const root = process.env.ZRS_DIST ?? new URL('../../dist/', import.meta.url).pathname;
  return import(`${root.endsWith('/') ? root : `${root}/`}${subpath === undefined ? '' : `${subpath}/`}index.js`);
}

/** What the parent passes in BENCH_CONFIG (JSON). */
export const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');

/**
 * The package rows run with the defaults a user gets from the README — audit on: Express'
 * `protect(options)` and the Fastify plugin's options write JSON lines to stdout, the Nest
 * module hands events to Nest's Logger (the servers keep Nest's default logger). The
 * `-noaudit` rows (BENCH_AUDIT=off) add `audit: false`. The parent drains the servers' stdout.
 */
export const auditOption = process.env.BENCH_AUDIT === 'off' ? { audit: false } : {};

/** The small JSON every server answers `GET /orders` with. */
export const ORDERS = Object.freeze({ orders: [{ id: 'o-1001', item: 'widget', quantity: 2 }, { id: 'o-1002', item: 'gadget', quantity: 1 }] });

/** ZITADEL project role claim the guarded servers check (same check for every peer). */
export const ROLES_CLAIM = `urn:zitadel:iam:org:project:${config.projectId ?? 'test-project'}:roles`;
export const ROLE = 'orders.read';

/** True when the verified claims grant ROLE in any organization. */
export function hasRole(claims) {
  const grants = claims?.[ROLES_CLAIM];
  return typeof grants === 'object' && grants !== null && Object.hasOwn(grants, ROLE);
}

/** Tells the parent the port, and exits cleanly when told to stop. */
export function ready(port, close) {
  process.on('message', (message) => {
    if (message?.type !== 'stop') return;
    Promise.resolve()
      .then(() => close?.())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port, pid: process.pid });
}

/** Listens on 127.0.0.1, random port; resolves with the port. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}
