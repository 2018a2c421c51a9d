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
import { auditEvent as event } from './support/audit-event.mjs';

const EVENTS = 20_000;
const ROUNDS = 5;

class AppModule {}
Module({ imports: [ResourceServerModule.forRoot({ issuer: 'https://acme.zitadel.cloud', audience: '294800000000000001', projectId: '294800000000000001' })] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule);
const moduleSink = app.get(RESOURCE_SERVER).options.audit;
const plainLogger = new Logger('ResourceServerAudit');
const plainSink = (event) => plainLogger.log(event);


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
