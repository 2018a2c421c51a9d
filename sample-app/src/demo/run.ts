// `npm start`: the orders API plus a demo client, in one process.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

import type { INestApplication } from '@nestjs/common';

import { AuditLog } from '../audit/audit-log.service.js';
import { devIssuerBackend, zitadelBackend } from './backends.js';
import type { Backend } from './backends.js';
import { RoutePolicyInspector } from 'zitadel-resource-server/nest';

import { formatAuditEvent, formatPolicyReport, formatRows } from './report.js';
import { runScenario } from './scenario.js';
import type { MethodName } from './scenario.js';
import { styler } from './table.js';

export interface DemoOptions {
  /** Keep the issuer and the API running and print curl commands, instead of the demo calls. */
  readonly serve: boolean;
}

const HOST = '127.0.0.1';
const PREFERRED_PORT = 3000;

const METHOD_NOTES: Record<MethodName, string> = {
  'private key JWT': 'JWT profile grant; a JWT access token, verified locally against the JWKS',
  'client credentials': 'client id and secret; an opaque token, introspected',
  'personal access token': 'opaque and long-lived; introspected',
};

/**
 * Runs the demo (or `--serve`); resolves with the exit code. Never throws: a failure is
 * printed and yields 1.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const colors = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const style = styler(colors);
  let backend: Backend | undefined;
  let app: INestApplication | undefined;
  const stop = async (): Promise<void> => {
    await app?.close().catch(() => undefined);
    await backend?.close().catch(() => undefined);
  };
  // Ctrl-C: in --serve mode the normal way out; otherwise stop cleanly and exit 130.
  const interrupted = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      if (options.serve) resolve();
      else void stop().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    backend = process.env.ZITADEL_ISSUER ? zitadelBackend(process.env) : await devIssuerBackend();

    // The app reads its configuration from the environment when its module loads, as it
    // would in production, so it is loaded only now.
    const { createApi } = await import('../app.factory.js');
    app = await createApi({ logLevels: ['warn', 'error'] });
    await app.listen(await choosePort(), HOST);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const baseUrl = `http://${HOST}:${port}`;
    const audit = app.get(AuditLog);

    console.log(style.bold('zitadel-resource-server sample: the orders API (NestJS) called by ZITADEL service users'));
    console.log(`  issuer         ${backend.description}`);
    console.log(`  API            ${baseUrl}/api, introspection auth: ${backend.introspectionAuth}`);
    console.log(`  organizations  ${backend.orgs.own.alias} = ${backend.orgs.own.id}, ${backend.orgs.other.alias} = ${backend.orgs.other.id}`);
    for (const skipped of backend.skipped) console.log(`  skipped        ${skipped}`);
    console.log('');
    console.log(style.bold("Route policies (policy: 'explicit' — the app refuses to start if a route says nothing):"));
    for (const line of formatPolicyReport(app.get(RoutePolicyInspector).report())) console.log(`  ${line}`);
    console.log('');

    if (options.serve) {
      await serve(backend, baseUrl, audit, interrupted);
      await stop();
      return 0;
    }

    const cursor = audit.total;
    const rows = await runScenario({ baseUrl, methods: backend.methods, orgs: backend.orgs, audit });
    const events = audit.since(cursor);
    console.log(formatRows(rows, colors));
    console.log("verified by: the audit event's verifiedBy. /api/admin/orders (@RequireActiveToken) also introspects every token, JWTs too.");
    if (rows.some((row) => row.inferred)) {
      console.log('* guessed from the token and the route: the resource server reported no audit event for this call');
    }
    console.log('');
    console.log(style.bold(`Audit events of these calls (${events.length}):`));
    if (events.length === 0) {
      console.log("  none: this build of zitadel-resource-server did not call the `audit` option (not supported yet?)");
    }
    for (const event of events) console.log(`  ${formatAuditEvent(event)}`);
    console.log('');

    const failed = rows.filter((row) => row.status !== row.expected);
    const passed = rows.length > 0 && failed.length === 0 && backend.methods.length > 0;
    const summary = `${rows.length - failed.length}/${rows.length} calls answered as expected in ${process.uptime().toFixed(1)} s`;
    console.log(passed ? style.ok(`OK: ${summary}`) : style.bad(`FAILED: ${summary}`));
    await stop();
    return passed ? 0 : 1;
  } catch (error) {
    console.error(style.bad(`demo failed: ${error instanceof Error ? error.message : String(error)}`));
    await stop();
    return 1;
  }
}

/** Mints one token per method, prints curl commands, and waits for Ctrl-C. */
async function serve(backend: Backend, baseUrl: string, audit: AuditLog, interrupted: Promise<void>): Promise<void> {
  const own = `${baseUrl}/api/orgs/${backend.orgs.own.id}/orders`;
  const curl = (args: string): string => `curl ${args}`;
  const lines: string[] = [
    '# Routes: GET/POST orders of an organization need orders.read/orders.write granted in that',
    '# organization; admin/orders needs orders.admin and always introspects; me needs the scope',
    '# urn:zitadel:iam:user:resourceowner. The tokens below are live credentials, printed here',
    '# for manual testing only.',
    '',
    '# public',
    curl(`-s ${baseUrl}/api/health`),
    '# no token: 401',
    curl(`-si ${own}`),
  ];
  for (const method of backend.methods) {
    const token = await method.token();
    const variable = `TOKEN_${method.name.replace(/[^a-z]+/gi, '_').toUpperCase()}`;
    lines.push(
      '',
      `# ${method.name} (${METHOD_NOTES[method.name]})`,
      `${variable}='${token}'`,
      curl(`-si -H "Authorization: Bearer $${variable}" ${own}`),
      curl(`-si -X POST -H "Authorization: Bearer $${variable}" -H 'content-type: application/json' -d '{"item":"washers M8","quantity":100}' ${own}`),
      curl(`-si -H "Authorization: Bearer $${variable}" ${baseUrl}/api/orgs/${backend.orgs.other.id}/orders`),
      curl(`-si -H "Authorization: Bearer $${variable}" ${baseUrl}/api/admin/orders`),
      curl(`-s -H "Authorization: Bearer $${variable}" ${baseUrl}/api/me`),
    );
  }
  const hints = backend.hints(curl);
  if (hints.length > 0) lines.push('', ...hints);
  console.log(lines.join('\n'));
  console.log('\nAudit events follow as JSON lines. Ctrl-C stops the API and the issuer.\n');
  audit.subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  await interrupted;
  console.log('\nstopping');
}

/** PORT if set; else 3000 when free, else any free port. */
async function choosePort(): Promise<number> {
  if (process.env.PORT) {
    const port = Number(process.env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${process.env.PORT}")`);
    return port;
  }
  return (await isFree(PREFERRED_PORT)) ? PREFERRED_PORT : 0;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}
