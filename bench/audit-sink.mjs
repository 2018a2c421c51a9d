// The default audit sink's cost per event, in process: CPU time (user + system, from
// process.cpuUsage) of handing N ZITADEL-shaped audit events to `jsonLinesAuditSink()` and
// having them written, divided by N. Compared with the sink it replaced (one synchronous
// JSON line write per event). Writes go to /dev/null through a synchronous fd write, as
// process.stdout does for files and pipes on Linux.
//
//   npm run build && node bench/audit-sink.mjs [--events N] [--stdout]
//
// --stdout writes to the real stdout instead, with the report on stderr; a pipe to another
// process, as under a log shipper: node bench/audit-sink.mjs --stdout | cat > /dev/null
// Events are built before the clock starts: the pipeline builds them whatever the sink.
import { openSync, writeSync, closeSync } from 'node:fs';
import { setImmediate } from 'node:timers';
import { jsonLinesAuditSink } from '../dist/index.js';
import { auditEvent } from './support/audit-event.mjs';

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--events') + 1]) || 100_000;
const toStdout = args.includes('--stdout');
const TARGET_US = 10;

const fd = toStdout ? 1 : openSync('/dev/null', 'w');
const stream = { write: (chunk) => writeSync(fd, chunk) };

function events(n) {
  const started = new Date('2026-12-01T12:00:00.000Z').getTime();
  return Array.from({ length: n }, (_, i) => auditEvent(i, started + i));
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** CPU µs per event of `sink` fed `perTurn` events per turn of the event loop. */
async function measure(makeSink, perTurn) {
  const list = events(count);
  const sink = makeSink();
  // Warm-up (JIT), not counted.
  for (let i = 0; i < Math.min(5000, count); i += 1) sink(list[i]);
  await nextTurn();
  const before = process.cpuUsage();
  for (let i = 0; i < count; i += perTurn) {
    const end = Math.min(count, i + perTurn);
    for (let j = i; j < end; j += 1) sink(list[j]);
    await nextTurn();
  }
  sink.flush?.();
  const used = process.cpuUsage(before);
  // The turns themselves (setImmediate) cost a little too: measured alone and taken off.
  const idleBefore = process.cpuUsage();
  for (let i = 0; i < count; i += perTurn) await nextTurn();
  const idle = process.cpuUsage(idleBefore);
  const micros = used.user + used.system - (idle.user + idle.system);
  return Math.max(0, micros) / count;
}

/** The sink before issue 17: one JSON.stringify and one synchronous write per event. */
const synchronousSink = () => (event) => {
  stream.write(`${JSON.stringify(event)}\n`);
};

const rows = [];
for (const perTurn of [1, 10, 100]) {
  rows.push({ sink: 'jsonLinesAuditSink() (default: a write per 10 ms at most)', perTurn, us: await measure(() => jsonLinesAuditSink(stream), perTurn) });
  rows.push({ sink: 'jsonLinesAuditSink(stream, { maxDelayMs: 0 }) (a write per turn)', perTurn, us: await measure(() => jsonLinesAuditSink(stream, { maxDelayMs: 0 }), perTurn) });
  rows.push({ sink: 'one synchronous write per event (before)', perTurn, us: await measure(synchronousSink, perTurn) });
}
if (!toStdout) closeSync(fd);

const out = toStdout ? console.error : console.log;
out(`audit sink cost, ${count.toLocaleString('en')} events, Node ${process.versions.node}, writes to ${toStdout ? 'stdout' : '/dev/null'}`);
out('');
out('| sink | events per event-loop turn | CPU µs per event |');
out('|---|--:|--:|');
for (const row of rows) out(`| ${row.sink} | ${row.perTurn} | ${row.us.toFixed(2)} |`);
const batched = rows.filter((row) => row.sink.startsWith('jsonLinesAuditSink() (default'));
// Under load (when the cost matters) a turn of the event loop answers many requests; idle, one.
const loaded = Math.max(...batched.filter((row) => row.perTurn >= 10).map((row) => row.us));
const idle = batched.find((row) => row.perTurn === 1).us;
out('');
out(`default sink under load (≥ 10 events per turn): ${loaded.toFixed(2)} µs per event (target ≤ ${TARGET_US}): ${loaded <= TARGET_US ? 'pass' : 'miss'}`);
out(`default sink idle (1 event per turn): ${idle.toFixed(2)} µs per event: ${idle <= TARGET_US ? 'pass' : 'miss'}`);
