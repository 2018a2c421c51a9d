// What the Nest module's default audit sink costs per event with Nest's default
// ConsoleLogger, in process: the module's own sink (from a Nest application context made
// with `ResourceServerModule.forRoot(options)`, as an app gets it) against handing the same
// event to `Logger.log()` as a plain object (the sink before 1f8b8ca: ConsoleLogger then
// prints it with util.inspect, over 17 lines). Process CPU time per event, interleaved rounds.
//
//   npm run build && node bench/nest-audit-logger.mjs | cat > /dev/null   (stdout a pipe, as under a log shipper)
//   npm run build && node bench/nest-audit-logger.mjs > /dev/null
//
// The report goes to stderr; the log lines to stdout.
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RESOURCE_SERVER, ResourceServerModule } from '../dist/nest/index.js';

const EVENTS = 20_000;
const ROUNDS = 5;

class AppModule {}
Module({ imports: [ResourceServerModule.forRoot({ issuer: 'https://acme.zitadel.cloud', audience: '294800000000000001', projectId: '294800000000000001' })] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule);
const moduleSink = app.get(RESOURCE_SERVER).options.audit;
const plainLogger = new Logger('ResourceServerAudit');
const plainSink = (event) => plainLogger.log(event);

/** A ZITADEL-shaped allow event, as the pipeline builds it. */
const event = (i) => ({
  version: 1,
  time: new Date().toISOString(),
  decision: 'allow',
  status: 200,
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
});

const sinks = { module: moduleSink, plain: plainSink, none: () => undefined };
const cpu = { module: [], plain: [], none: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  for (const name of round % 2 === 0 ? ['module', 'plain', 'none'] : ['none', 'plain', 'module']) {
    const sink = sinks[name];
    const before = process.cpuUsage();
    for (let i = 0; i < EVENTS; i += 1) sink(event(i));
    const used = process.cpuUsage(before);
    cpu[name].push((used.user + used.system) / EVENTS);
  }
}
await app.close();
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1].toFixed(1);
process.stderr.write(
  `Nest ConsoleLogger, stdout ${process.stdout.isTTY ? 'a terminal' : 'redirected'}: the module's default sink ${median(cpu.module)} µs CPU per event, ` +
    `a plain event object ${median(cpu.plain)} µs (building the event alone ${median(cpu.none)} µs)\n`,
);
