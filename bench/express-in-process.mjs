// What the guard costs an Express app per request without sockets, autocannon or a second
// process: a real Express 5 app handles requests built in process (an `IncomingMessage` with
// the headers a client sends, a `ServerResponse` whose `end()` completes the request), with
// and without `protect()` + `requireRole()`, one repeated token (a cached verdict),
// interleaved rounds, process CPU time per request. Set beside `npm run bench`'s
// `auth µs/req` for the same rows, the difference is what the HTTP stack adds around the
// guard (sockets, parser, garbage of a real request), not the guard's own work.
//
//   npm run build && node bench/express-in-process.mjs [--requests N] [--rounds R] [--audit] [--profile]
//
// --audit: the README's defaults (`protect(options)` writes JSON lines to stdout: run with
// `> /dev/null`); otherwise `audit: false`. --profile: writes CPU profiles of both apps
// (express-in-process-{plain,guarded}.cpuprofile, 100,000 requests each) and prints where
// the guarded app's time per request grew (bench/cpuprofile-top.mjs).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import express from 'express';
import { protect, requireRole } from '../dist/express/index.js';
import { createTestIssuer } from '../dist/testing/index.js';
import { formatAreaComparison, formatFunctionDiff, summarizeProfile } from './cpuprofile-top.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const REQUESTS = option('requests', 50_000);
const ROUNDS = option('rounds', 7);
const report = (line) => process.stderr.write(`${line}\n`);

const issuer = await createTestIssuer({ keys: 'shared' });
const token = await issuer.mintJwt(issuer.roleClaims(['orders.read']), { expiresIn: 3600 });
const ORDERS = { orders: [{ id: 'o-1001', item: 'widget', quantity: 2 }, { id: 'o-1002', item: 'gadget', quantity: 1 }] };

const plain = express();
plain.get('/orders', (_req, res) => res.json(ORDERS));
const guarded = express();
const guard = protect({ issuer: issuer.issuer, audience: issuer.projectId, projectId: issuer.projectId, ...(args.includes('--audit') ? {} : { audit: false }) });
guarded.get('/orders', guard, requireRole('orders.read'), (_req, res) => res.json(ORDERS));

const socket = new Socket();
let refused = 0;
/** One request through `app`: a fresh header string, as a server gets it. */
function handle(app) {
  return new Promise((resolve) => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/orders';
    const authorization = `Bearer ${token.slice(0, 8)}${token.slice(8)}`;
    req.headers = { host: '127.0.0.1', authorization };
    req.rawHeaders = ['Host', '127.0.0.1', 'Authorization', authorization];
    const res = new ServerResponse(req);
    res.end = function end() {
      if (this.statusCode !== 200) refused += 1;
      this.emit('finish');
      this.emit('close');
      resolve();
      return this;
    };
    app.handle(req, res, () => resolve());
  });
}

async function requests(app, n) {
  for (let i = 0; i < n; i += 1) await handle(app);
}

await requests(plain, 20_000);
await requests(guarded, 20_000);
if (refused > 0) throw new Error(`${refused} requests were refused: the guarded app is misconfigured`);

if (args.includes('--profile')) {
  const profiled = [];
  for (const [label, app] of [['plain', plain], ['guarded', guarded]]) {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
    await requests(app, 100_000);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(`express-in-process-${label}.cpuprofile`, JSON.stringify(profile));
    profiled.push({ id: label, label, summary: summarizeProfile(profile), requests: 100_000 });
  }
  report(formatAreaComparison(profiled));
  report(formatFunctionDiff(profiled, { top: 30 }));
} else {
  const cpu = { plain: [], guarded: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? ['plain', 'guarded'] : ['guarded', 'plain'];
    for (const name of order) {
      const before = process.cpuUsage();
      await requests(name === 'plain' ? plain : guarded, REQUESTS);
      const used = process.cpuUsage(before);
      cpu[name].push((used.user + used.system) / REQUESTS);
    }
  }
  const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
  const added = cpu.guarded.map((us, i) => us - cpu.plain[i]);
  report(
    `Express in process, one repeated token${args.includes('--audit') ? ', audit on' : ', audit off'}: unguarded ${median(cpu.plain).toFixed(1)} µs CPU/req, ` +
      `guarded ${median(cpu.guarded).toFixed(1)} µs, the guard ${median(added).toFixed(1)} µs per request (rounds ${added.map((us) => us.toFixed(1)).join(' / ')})`,
  );
}
await issuer.close();
