// `npm run bench`: the side-by-side benchmark (see bench/README.md). Token modes: one
// repeated JWT, a pool of 1,000 in steady state, a new JWT on every request, a cached
// opaque token; this package with the README's defaults (audit on) and with audit off,
// beside the peers; server CPU µs per request; an SVG chart beside the markdown.
//
//   npm run bench                       full: 2 s warm-up, 3 interleaved rounds × 5 s, memory step
//   npm run bench -- --quick            smoke: 1 s warm-up, 1 round × 3 s, memory step with 20k tokens
//   npm run bench -- --only express-zrs,memory
//   npm run bench -- --compare main     this package's servers built from main too, same rounds
//   npm run bench -- --profile          CPU profile of Express + this package, repeated JWT
//
// Never fails on a missed target: the report says pass or miss.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pinSelf, startNode, stopNode, taskset } from './support/child.mjs';
import { load } from './support/load.mjs';
import { CLK_TCK, cpuTicksOf, machine, machineBusyTicks, memoryOf } from './support/proc.mjs';
import { barChart } from './support/chart.mjs';
import { fmt, markdownTable, max, median, sum, textTable } from './support/stats.mjs';
import { formatAreaComparison, formatFunctionDiff, formatProfileReport, summarizeProfile } from './cpuprofile-top.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const startedAt = performance.now();

// ---------------------------------------------------------------- what runs

// kind: base (unguarded), floor (a guard that does nothing), ours (this package, README
// defaults: audit on), ours-noaudit (the same with `audit: false`), peer.
const SERVERS = {
  express: { file: 'express.mjs', label: 'Express 5 (unguarded)', framework: 'express', kind: 'base' },
  nest: { file: 'nest.mjs', label: 'Nest 12 (unguarded)', framework: 'nest', kind: 'base' },
  fastify: { file: 'fastify.mjs', label: 'Fastify 5 (unguarded)', framework: 'fastify', kind: 'base' },
  'express-noop': { file: 'express-noop.mjs', label: 'Express + two middleware that pass (floor)', short: 'two middleware that pass', framework: 'express', kind: 'floor' },
  'nest-noop-guard': { file: 'nest-noop-guard.mjs', label: 'Nest + a guard that allows all (floor)', short: 'a guard that allows all', framework: 'nest', kind: 'floor' },
  'express-zrs': { file: 'express-zrs.mjs', label: 'Express + zitadel-resource-server', short: 'zitadel-resource-server', framework: 'express', kind: 'ours' },
  'express-zrs-noaudit': { file: 'express-zrs.mjs', label: 'Express + zitadel-resource-server, audit off', short: 'zitadel-resource-server, audit off', framework: 'express', kind: 'ours-noaudit', env: { BENCH_AUDIT: 'off' } },
  'nest-zrs': { file: 'nest-zrs.mjs', label: 'Nest + zitadel-resource-server', short: 'zitadel-resource-server', framework: 'nest', kind: 'ours' },
  'nest-zrs-noaudit': { file: 'nest-zrs.mjs', label: 'Nest + zitadel-resource-server, audit off', short: 'zitadel-resource-server, audit off', framework: 'nest', kind: 'ours-noaudit', env: { BENCH_AUDIT: 'off' } },
  'fastify-zrs': { file: 'fastify-zrs.mjs', label: 'Fastify + zitadel-resource-server', short: 'zitadel-resource-server', framework: 'fastify', kind: 'ours' },
  'fastify-zrs-noaudit': { file: 'fastify-zrs.mjs', label: 'Fastify + zitadel-resource-server, audit off', short: 'zitadel-resource-server, audit off', framework: 'fastify', kind: 'ours-noaudit', env: { BENCH_AUDIT: 'off' } },
  'express-oauth2-jwt-bearer': { file: 'express-oauth2-jwt-bearer.mjs', label: 'Express + express-oauth2-jwt-bearer', short: 'express-oauth2-jwt-bearer', framework: 'express', kind: 'peer' },
  'nest-passport-jwt': { file: 'nest-passport-jwt.mjs', label: 'Nest + passport-jwt + jwks-rsa', short: 'passport-jwt + jwks-rsa', framework: 'nest', kind: 'peer' },
};
const BASELINE = { express: 'express/unguarded', nest: 'nest/unguarded', fastify: 'fastify/unguarded' };

const POOL_SIZE = 1_000;
const SCENARIOS = {
  unguarded: 'no check (the repeated JWT is sent anyway, through the same per-request setup)',
  'jwt-repeated': 'one JWT on every request (a service user reusing its token)',
  'jwt-pool-1k': `${POOL_SIZE.toLocaleString('en-US')} distinct JWTs, round-robin across all connections, each seen many times per run (many callers, steady state); one unmeasured pass over them first`,
  'jwt-first-seen': 'every measured request carries a JWT the server process has never seen (a fixed number of requests, one new token each)',
  opaque: 'one opaque token, introspected once, then cached',
};
const SCENARIO_SHORT = { unguarded: 'no check', 'jwt-repeated': 'one repeated JWT', 'jwt-pool-1k': '1,000 JWTs, steady state', 'jwt-first-seen': 'a new JWT per request', opaque: 'opaque token, cached' };

const RUNS = [
  ['express', 'unguarded'],
  ['nest', 'unguarded'],
  ['fastify', 'unguarded'],
  ['express-noop', 'unguarded'],
  ['nest-noop-guard', 'unguarded'],
  ['express-zrs', 'jwt-repeated'],
  ['express-zrs-noaudit', 'jwt-repeated'],
  ['express-zrs', 'jwt-pool-1k'],
  ['express-zrs', 'jwt-first-seen'],
  ['express-zrs', 'opaque'],
  ['express-oauth2-jwt-bearer', 'jwt-repeated'],
  ['express-oauth2-jwt-bearer', 'jwt-pool-1k'],
  ['express-oauth2-jwt-bearer', 'jwt-first-seen'],
  ['nest-zrs', 'jwt-repeated'],
  ['nest-zrs-noaudit', 'jwt-repeated'],
  ['nest-zrs', 'jwt-pool-1k'],
  ['nest-zrs', 'jwt-first-seen'],
  ['nest-zrs', 'opaque'],
  ['nest-passport-jwt', 'jwt-repeated'],
  ['nest-passport-jwt', 'jwt-pool-1k'],
  ['nest-passport-jwt', 'jwt-first-seen'],
  ['fastify-zrs', 'jwt-repeated'],
  ['fastify-zrs-noaudit', 'jwt-repeated'],
  ['fastify-zrs', 'jwt-pool-1k'],
  ['fastify-zrs', 'jwt-first-seen'],
  ['fastify-zrs', 'opaque'],
].map(([server, scenario]) => ({ id: `${server}/${scenario}`, server, scenario, ...SERVERS[server] }));

// Issue 18's targets. `peer`: judged on req/s against that run instead of the unguarded app.
const TARGETS = [
  { run: 'express-zrs/jwt-repeated', label: 'Express, repeated JWT, defaults (audit on) ≥ 0.90× unguarded', min: 0.9 },
  { run: 'nest-zrs/jwt-repeated', label: 'Nest, repeated JWT, defaults (audit on) ≥ 0.90× unguarded', min: 0.9 },
  { run: 'express-zrs-noaudit/jwt-repeated', label: 'Express, repeated JWT, audit off ≥ 0.93× unguarded', min: 0.93 },
  { run: 'nest-zrs-noaudit/jwt-repeated', label: 'Nest, repeated JWT, audit off ≥ 0.93× unguarded', min: 0.93 },
  { run: 'express-zrs/jwt-pool-1k', label: 'Express, 1,000 JWTs steady state ≥ 0.85× unguarded', min: 0.85 },
  { run: 'nest-zrs/jwt-pool-1k', label: 'Nest, 1,000 JWTs steady state ≥ 0.85× unguarded', min: 0.85 },
  { run: 'express-zrs/opaque', label: 'Express, opaque cached ≥ 0.90× unguarded, 0 upstream calls after the first', min: 0.9, noUpstream: true },
  { run: 'nest-zrs/opaque', label: 'Nest, opaque cached ≥ 0.90× unguarded, 0 upstream calls after the first', min: 0.9, noUpstream: true },
  { run: 'express-zrs/jwt-first-seen', peer: 'express-oauth2-jwt-bearer/jwt-first-seen', label: "Express, a new JWT per request, defaults ≥ express-oauth2-jwt-bearer's req/s", min: 1 },
  { run: 'nest-zrs/jwt-first-seen', peer: 'nest-passport-jwt/jwt-first-seen', label: "Nest, a new JWT per request, defaults ≥ passport-jwt's req/s (not in the issue: the Nest peer)", min: 1 },
];
const MEMORY_TARGET_MB = 64;
/** Expected req/s of the fastest server on first-seen tokens: sizes the token list (--first-seen-rate). */
const FIRST_SEEN_RATE = 7000;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const options = { quick: false, profile: false, only: undefined, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--profile') {
      options.profile = 'express';
      if (/^(express|nest)(-noaudit)?$/.test(argv[i + 1] ?? '')) options.profile = argv[++i];
    }
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--keep-profiles') options.keepProfiles = true;
    else if (arg === '--compare') options.compare = value();
    else if (arg === '--chart') options.chart = value();
    else if (arg === '--stdout-null') options.stdoutNull = true;
    else if (arg === '--only') options.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg.startsWith('--only=')) options.only = arg.slice(7).split(',').map((s) => s.trim()).filter(Boolean);
    else if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--duration') options.duration = Number(value());
    else if (arg === '--warmup') options.warmup = Number(value());
    else if (arg === '--connections') options.connections = Number(value());
    else if (arg === '--memory-tokens') options.memoryTokens = Number(value());
    else if (arg === '--first-seen-rate') options.firstSeenRate = Number(value());
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new Error(`unknown option ${arg} (try --help)`);
  }
  options.rounds ??= options.quick ? 1 : 3;
  options.duration ??= options.profile ? (options.quick ? 4 : 10) : options.quick ? 3 : 5;
  options.warmup ??= options.quick ? 1 : 2;
  options.connections ??= 50;
  options.memoryTokens ??= options.quick ? 20_000 : 100_000;
  options.firstSeenRate ??= FIRST_SEEN_RATE;
  for (const name of ['rounds', 'duration', 'warmup', 'connections', 'memoryTokens', 'firstSeenRate']) {
    if (!Number.isFinite(options[name]) || options[name] < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive number`);
  }
  return options;
}

const HELP = `npm run bench -- [options]
  --quick              1 round × 3 s, 1 s warm-up, memory step with 20,000 tokens
  --only a,b           only these runs: a server (${Object.keys(SERVERS).join(', ')}),
                       a scenario (${Object.keys(SCENARIOS).join(', ')}), a run id (server/scenario),
                       or "memory". The unguarded baseline of each framework is added.
  --profile [nest]     only: CPU profiles (node --cpu-prof) of the unguarded app and of the app with this
                       package (repeated JWT), Express by default, and where the added time goes;
                       express-noaudit / nest-noaudit: the package's app with audit: false; with
                       --compare REF: that app (audit off) built from REF against this build's;
                       --keep-profiles keeps the .cpuprofile files (their paths are printed)
  --rounds N --duration S --warmup S --connections N --memory-tokens N
  --first-seen-rate R  expected req/s on first-seen tokens (default ${FIRST_SEEN_RATE}): the bench mints
                       R × duration distinct JWTs for jwt-first-seen, and each such run sends exactly
                       that many requests (a slower server takes longer than --duration)
  --no-build           use dist/ as it is
  --stdout-null        servers' stdout to /dev/null instead of a pipe the bench drains (stdout B/req: –)
  --chart FILE.json    only: (re)draw the SVG chart of a saved result, next to it (FILE.svg)
  --compare REF        also run this package's servers built from git REF (e.g. an earlier main),
                       interleaved in the same rounds, and report each ratio beside REF's`;

function selectRuns(only) {
  if (only === undefined) return { runs: RUNS, memory: true, inProcess: true };
  const known = new Set(['memory', 'first-seen-in-process', ...Object.keys(SERVERS), ...Object.keys(SCENARIOS), ...RUNS.map((r) => r.id)]);
  const unknown = only.filter((term) => !known.has(term));
  if (unknown.length > 0) throw new Error(`--only: unknown ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  const picked = new Set(RUNS.filter((r) => only.some((t) => t === r.id || t === r.server || t === r.scenario)).map((r) => r.id));
  for (const t of TARGETS) if (t.peer !== undefined && picked.has(t.run)) picked.add(t.peer);
  for (const id of [...picked]) picked.add(BASELINE[RUNS.find((r) => r.id === id).framework]);
  return { runs: RUNS.filter((r) => picked.has(r.id)), memory: only.includes('memory'), inProcess: only.includes('first-seen-in-process') };
}

// ---------------------------------------------------------------- build

function newestMtime(dir, suffix) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, suffix));
    else if (entry.name.endsWith(suffix)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild(notes) {
  const distIndex = join(ROOT, 'dist', 'index.js');
  const stale = !existsSync(distIndex) || newestMtime(join(ROOT, 'lib'), '.ts') > newestMtime(join(ROOT, 'dist'), '.js');
  if (!stale) return 'up to date';
  console.log('dist/ is missing or older than lib/: npm run build');
  const started = performance.now();
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status === 0) return `built (${fmt.seconds(performance.now() - started)})`;
  if (!existsSync(distIndex)) throw new Error('npm run build failed and there is no dist/');
  notes.push('`npm run build` failed (lib/ is being edited?): the bench ran against the existing, older dist/.');
  console.warn('npm run build failed; going on with the existing dist/');
  return 'build failed, existing dist/ used';
}

/**
 * Builds the package as it was at `ref` into a temporary directory (lib/ and the build
 * config from git, this checkout's node_modules linked in, so both builds load the same
 * frameworks) and returns its dist/ path. Removed when the bench ends.
 */
function buildRef(ref) {
  const sha = git(['rev-parse', '--short', `${ref}^{commit}`]);
  if (sha === '') throw new Error(`--compare: ${ref} is not a commit here`);
  const dir = mkdtempSync(join(tmpdir(), `zrs-bench-${sha}-`));
  const archive = spawnSync('sh', ['-c', `git archive ${sha} lib tsconfig.build.json tsconfig.json package.json | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT, stdio: 'inherit' });
  if (archive.status !== 0) throw new Error(`--compare: could not extract ${ref}`);
  spawnSync('ln', ['-s', join(ROOT, 'node_modules'), join(dir, 'node_modules')]);
  const started = performance.now();
  const built = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.build.json')], { cwd: dir, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`--compare: ${ref} did not build`);
  console.log(`built ${ref} (${sha}) in ${fmt.seconds(performance.now() - started)}`);
  return { sha, dir, dist: join(dir, 'dist') };
}

/** The runs of this package's servers again, against the build of `compare`. */
function compareRuns(runs, compare) {
  return runs
    .filter((r) => r.kind.startsWith('ours') && existsSync(join(compare.dist, r.framework, 'index.js')))
    .map((r) => ({ ...r, id: `${r.server}@${compare.sha}/${r.scenario}`, label: `${r.label} @${compare.sha}`, env: { ...r.env, ZRS_DIST: compare.dist }, compareOf: r.id }));
}

/** This build's ratio beside the compared build's, per run (the #12 rule: within 0.03, or better). */
function compareLines(rows, compare) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const lines = [];
  for (const old of rows.filter((r) => r.compareOf !== undefined)) {
    const now = byId.get(old.compareOf);
    if (now?.ratio === undefined || old.ratio === undefined) continue;
    const delta = now.ratio - old.ratio;
    const cpuDelta = now.cpuRatio !== undefined && old.cpuRatio !== undefined ? now.cpuRatio - old.cpuRatio : undefined;
    const us = (r) => (r.authUs === undefined ? '–' : r.authUs.toFixed(0));
    lines.push([now.label, now.scenario, fmt.ratio(now.ratio), fmt.ratio(old.ratio), `${delta >= 0 ? '+' : ''}${delta.toFixed(2)}`, cpuDelta === undefined ? '–' : `${cpuDelta >= 0 ? '+' : ''}${cpuDelta.toFixed(2)}`, `${us(now)} / ${us(old)}`, delta >= -0.03 ? 'pass' : 'miss']);
  }
  return { headers: ['server', 'mode', '× unguarded (this)', `× unguarded (@${compare.sha})`, 'Δ', 'Δ (CPU)', `auth µs/req (this / @${compare.sha})`, 'within 0.03'], lines };
}

// ---------------------------------------------------------------- environment

function git(args) {
  const out = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : '';
}

function environment(options) {
  const sha = git(['rev-parse', '--short', 'HEAD']) || 'nogit';
  const dirty = git(['status', '--porcelain', '--', 'lib']) !== '';
  const argv = process.argv.slice(2);
  return {
    date: new Date().toISOString(),
    sha,
    libDirty: dirty,
    node: process.version,
    ...machine(),
    taskset: taskset() !== undefined,
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    settings: {
      connections: options.connections,
      warmupS: options.warmup,
      rounds: options.rounds,
      durationS: options.duration,
      stdout: options.stdoutNull ? 'null' : 'pipe',
    },
  };
}

// ---------------------------------------------------------------- tokens

/**
 * Mints the tokens the selected runs need, once: every server process is fresh per round,
 * so the same list is new to each of them. First-seen: options.firstSeenRate × duration
 * requests (one token each) plus a spare per connection; minted before the bench pins
 * itself, by the test issuer (about 0.6 ms per RS256 token on the project's machine).
 */
async function mintTokens(ctx, runs, options) {
  const { issuer } = ctx;
  const claims = issuer.roleClaims(['orders.read']);
  const bearer = (t) => `Bearer ${t}`;
  const repeated = await issuer.mintJwt(claims, { expiresIn: 3600 });
  ctx.headers.unguarded = [bearer(repeated)];
  ctx.headers['jwt-repeated'] = ctx.headers.unguarded;
  ctx.headers.opaque = [bearer(issuer.mintOpaque(claims, { expiresIn: 3600 }))];
  ctx.tokenChars = repeated.length;
  const many = async (count, prefix) => {
    const list = new Array(count);
    for (let i = 0; i < count; i++) list[i] = bearer(await issuer.mintJwt({ ...claims, sub: `${prefix}${String(i).padStart(17, '0')}` }, { expiresIn: 3600 }));
    return list;
  };
  const scenarios = new Set(runs.map((r) => r.scenario));
  if (scenarios.has('jwt-pool-1k') || scenarios.has('jwt-first-seen')) {
    const started = performance.now();
    ctx.headers.pool = await many(POOL_SIZE, '2');
    ctx.minted.pool = { count: POOL_SIZE, ms: performance.now() - started };
  }
  if (scenarios.has('jwt-first-seen')) {
    ctx.firstSeenAmount = Math.ceil(options.firstSeenRate * options.duration);
    const count = ctx.firstSeenAmount + options.connections;
    console.log(`minting ${count.toLocaleString('en-US')} first-seen JWTs (${options.firstSeenRate.toLocaleString('en-US')} req/s × ${options.duration} s, + ${options.connections} spare) …`);
    const started = performance.now();
    ctx.headers.firstSeen = await many(count, '3');
    ctx.minted.firstSeen = { count, ms: performance.now() - started };
    console.log(`minted them in ${fmt.seconds(ctx.minted.firstSeen.ms)}`);
  }
}

// ---------------------------------------------------------------- one server, one round

function sample(pid) {
  return { wall: performance.now(), server: cpuTicksOf(pid), self: cpuTicksOf(process.pid), busy: machineBusyTicks() };
}

function cpuShares(a, b) {
  const ticks = ((b.wall - a.wall) / 1000) * CLK_TCK;
  if (!(ticks > 0) || a.server === undefined || b.server === undefined) return {};
  const server = b.server - a.server;
  const self = b.self - a.self;
  const busy = b.busy - a.busy;
  return {
    serverCpuS: server / CLK_TCK,
    serverCpu: (server / ticks) * 100,
    generatorCpu: (self / ticks) * 100,
    otherCpu: Math.max(0, ((busy - server - self) / ticks) * 100),
  };
}

function diffCounts(a, b) {
  return { discovery: b.discovery - a.discovery, jwks: b.jwks - a.jwks, introspection: b.introspection - a.introspection };
}
const totalCalls = (c) => c.discovery + c.jwks + c.introspection;

/**
 * The tokens of a run, as ready `Authorization` values: the warm-up pass (sent once, by
 * count, before the timed warm-up), the timed warm-up's, and the measured run's.
 */
function tokensOf(scenario, ctx) {
  const h = ctx.headers;
  if (scenario === 'jwt-pool-1k') return { pass: h.pool, warm: h.pool, measured: h.pool };
  // Warm-up on the pool (1,000 tokens new to this process: the first-seen path warms up,
  // the JWKS is fetched), then the measured tokens, each new, sent once.
  if (scenario === 'jwt-first-seen') return { pass: h.pool, warm: h.pool, measured: h.firstSeen, amount: ctx.firstSeenAmount };
  return { warm: h[scenario], measured: h[scenario] };
}

async function runOnce(run, ctx, options, extra = {}) {
  const tokens = tokensOf(run.scenario, ctx);
  const before = ctx.issuer.requests;
  const proc = startNode(join(BENCH_DIR, 'servers', run.file), {
    cpus: ctx.pinned ? '0' : undefined,
    env: { BENCH_CONFIG: ctx.serverConfig, ...(run.env ?? {}) },
    nodeArgs: extra.nodeArgs ?? [],
    stdout: options.stdoutNull ? 'ignore' : 'pipe',
  });
  const result = { round: extra.round };
  try {
    const { port } = await proc.ready;
    const pid = proc.child.pid;
    const connections = options.connections;
    let warmup = options.warmup;
    if (tokens.pass !== undefined) {
      // One full pass over the pool first: every token seen once (for a cache, all misses).
      const pass = await load({ port, headers: tokens.pass, connections, amount: tokens.pass.length });
      result.warmupRequests = pass.requests;
      result.passReqPerSec = pass.reqPerSec;
      result.passNon2xx = pass.non2xx + pass.errors;
      warmup = Math.max(0.5, warmup - pass.durationS); // the pass was a warm-up too
    }
    if (warmup > 0) {
      const warm = await load({ port, headers: tokens.warm, connections, duration: Math.round(warmup * 10) / 10 });
      result.warmupRequests = (result.warmupRequests ?? 0) + warm.requests;
    }
    const warmed = ctx.issuer.requests;
    const a = sample(pid);
    const outBefore = proc.output.bytes;
    let last; // first-seen: sampled at the last response, before autocannon's idle tail
    const measured = await load(
      tokens.amount === undefined
        ? { port, headers: tokens.measured, connections, duration: options.duration }
        : { port, headers: tokens.measured, connections, amount: tokens.amount, wrap: false, onLastResponse: () => (last = sample(pid)) },
    );
    const b = last ?? sample(pid);
    const after = ctx.issuer.requests;
    const shares = cpuShares(a, b);
    Object.assign(result, measured, shares, {
      cpuReqPerSec: shares.serverCpuS > 0 ? measured.requests / shares.serverCpuS : undefined,
      cpuUsPerReq: shares.serverCpuS > 0 && measured.requests > 0 ? (shares.serverCpuS * 1e6) / measured.requests : undefined,
      stdoutBytesPerReq: measured.requests > 0 && !options.stdoutNull ? (proc.output.bytes - outBefore) / measured.requests : undefined,
      startupCalls: diffCounts(before, warmed),
      measuredCalls: diffCounts(warmed, after),
      vmHWM: memoryOf(pid)?.vmHWM,
    });
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await stopNode(proc);
  }
  return result;
}

// ---------------------------------------------------------------- memory step

async function memoryStep(ctx, count) {
  const dir = mkdtempSync(join(tmpdir(), 'zrs-bench-'));
  try {
    const file = join(dir, 'tokens.txt');
    const mint = startNode(join(BENCH_DIR, 'mint-tokens.mjs'), {
      cpus: ctx.pinned ? '0,1' : undefined,
      args: ['--count', String(count), '--out', file],
      readyType: 'minted',
      timeoutMs: 600_000,
    });
    const minted = await mint.ready;
    await stopNode(mint);
    const child = startNode(join(BENCH_DIR, 'memory.mjs'), {
      cpus: ctx.pinned ? '0' : undefined,
      nodeArgs: ['--expose-gc'],
      args: [file],
      readyType: 'memory',
      timeoutMs: 600_000,
    });
    const { result } = await child.ready;
    await stopNode(child);
    return { ...result, mintMs: minted.ms };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- aggregation and report

function aggregate(run, rounds) {
  const ok = rounds.filter((r) => r.error === undefined);
  const measuredRequests = sum(ok.map((r) => r.requests));
  const measuredCalls = sum(ok.map((r) => totalCalls(r.measuredCalls)));
  const failed = rounds.filter((r) => r.error !== undefined || r.non2xx + r.errors + r.timeouts > 0 || r.reused > 0);
  return {
    ...run,
    rounds,
    reqPerSec: median(ok.map((r) => r.reqPerSec)),
    p50: median(ok.map((r) => r.p50)),
    p99: median(ok.map((r) => r.p99)),
    cpuReqPerSec: median(ok.map((r) => r.cpuReqPerSec)),
    cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
    stdoutBytesPerReq: median(ok.map((r) => r.stdoutBytesPerReq)),
    measuredS: median(ok.map((r) => r.durationS)),
    reused: sum(ok.map((r) => r.reused)),
    passReqPerSec: median(ok.map((r) => r.passReqPerSec)),
    upstreamPerRequest: measuredRequests > 0 ? measuredCalls / measuredRequests : undefined,
    measuredCalls,
    startupCalls: ok[0]?.startupCalls,
    vmHWM: max(ok.map((r) => r.vmHWM)),
    serverCpu: median(ok.map((r) => r.serverCpu)),
    generatorCpu: median(ok.map((r) => r.generatorCpu)),
    otherCpu: median(ok.map((r) => r.otherCpu)),
    problem: failed.length === 0 ? undefined : failed.map((r) => r.error ?? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts${r.reused > 0 ? `, ${r.reused} requests repeated a token` : ''}`).join('; '),
  };
}

function withRatios(rows) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return rows.map((r) => {
    const base = byId.get(BASELINE[r.framework]);
    return {
      ...r,
      ratio: base?.reqPerSec && r.reqPerSec !== undefined ? r.reqPerSec / base.reqPerSec : undefined,
      cpuRatio: base?.cpuReqPerSec && r.cpuReqPerSec !== undefined ? r.cpuReqPerSec / base.cpuReqPerSec : undefined,
      // Server CPU per request above the same framework's unguarded app: what the guard costs.
      authUs: base !== undefined && base !== r && base.cpuUsPerReq !== undefined && r.cpuUsPerReq !== undefined ? r.cpuUsPerReq - base.cpuUsPerReq : undefined,
    };
  });
}

function upstreamCell(r) {
  if (r.upstreamPerRequest === undefined) return '–';
  const per = r.upstreamPerRequest === 0 ? '0' : r.upstreamPerRequest.toExponential(1);
  const s = r.startupCalls;
  return s ? `${per} (start ${s.discovery}/${s.jwks}/${s.introspection})` : per;
}

const HEADERS = ['server', 'mode', 'req/s', '× unguarded', 'CPU µs/req', 'auth µs/req', '× (CPU)', 'p50 ms', 'p99 ms', 'upstream/req (start d/j/i)', 'stdout B/req', 'peak RSS MB', 'srv/gen/other CPU', 'rounds req/s'];

const signed = (v, digits = 0) => (v === undefined ? '–' : `${v < 0 ? '-' : ''}${Math.abs(v).toFixed(digits)}`);

function tableRows(rows) {
  return rows.map((r) => {
    const base = r.framework && BASELINE[r.framework] === r.id;
    return [
      r.label,
      r.scenario + (r.problem ? ' ⚠' : ''),
      fmt.int(r.reqPerSec),
      base ? 'base' : fmt.ratio(r.ratio),
      r.cpuUsPerReq === undefined ? '–' : r.cpuUsPerReq.toFixed(0),
      base ? 'base' : signed(r.authUs),
      base ? 'base' : fmt.ratio(r.cpuRatio),
      fmt.ms(r.p50),
      fmt.ms(r.p99),
      upstreamCell(r),
      r.stdoutBytesPerReq === undefined ? '–' : r.stdoutBytesPerReq.toFixed(0),
      fmt.mb(r.vmHWM),
      `${fmt.pct(r.serverCpu)}/${fmt.pct(r.generatorCpu)}/${fmt.pct(r.otherCpu)}`,
      r.rounds.map((x) => (x.error ? 'err' : fmt.int(x.reqPerSec))).join(' / '),
    ];
  });
}

function evaluateTargets(rows, memory, quick) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out = TARGETS.filter((t) => byId.has(t.run)).map((t) => {
    const r = byId.get(t.run);
    if (t.peer !== undefined) {
      const peer = byId.get(t.peer);
      if (r.reqPerSec === undefined || peer?.reqPerSec === undefined) return { label: t.label, verdict: 'not run', detail: r.problem ?? peer?.problem ?? `${t.peer} not run` };
      const ratio = r.reqPerSec / peer.reqPerSec;
      const pass = ratio >= t.min && !r.problem && !peer.problem;
      const us = (x) => (x.cpuUsPerReq === undefined ? '–' : x.cpuUsPerReq.toFixed(0));
      let detail = `${fmt.int(r.reqPerSec)} vs ${fmt.int(peer.reqPerSec)} req/s: ${ratio.toFixed(2)}× the peer; server CPU ${us(r)} vs ${us(peer)} µs/req`;
      if (r.problem || peer.problem) detail += ` (run had problems: ${[r.problem, peer.problem].filter(Boolean).join('; ')})`;
      return { label: t.label, verdict: pass ? 'pass' : 'miss', detail };
    }
    if (r.ratio === undefined) return { label: t.label, verdict: 'not run', detail: r.problem ?? 'no baseline' };
    let pass = r.ratio >= t.min && !r.problem;
    let detail = `${r.ratio.toFixed(2)}× (per server CPU-second: ${fmt.ratio(r.cpuRatio)}; auth ${signed(r.authUs)} µs/req of server CPU)`;
    if (t.noUpstream) {
      const s = r.startupCalls;
      pass = pass && r.measuredCalls === 0 && (s?.introspection ?? 0) <= 1;
      detail += `, ${r.measuredCalls} upstream calls while measured, ${s?.introspection ?? '?'} introspection call(s) per server start`;
    }
    if (r.problem) detail += ` (run had problems: ${r.problem})`;
    return { label: t.label, verdict: pass ? 'pass' : 'miss', detail };
  });
  if (memory) {
    const label = `100,000 cached JWTs add ≤ ${MEMORY_TARGET_MB} MB RSS`;
    if (memory.error) out.push({ label, verdict: 'not run', detail: memory.error });
    else {
      const growth = memory.after.rss - memory.before.rss;
      const per100k = (growth / memory.count) * 100_000;
      const pass = per100k <= MEMORY_TARGET_MB * 1048576 && memory.failures === 0;
      out.push({
        label,
        verdict: pass ? 'pass' : 'miss',
        detail: `${fmt.mb(growth)} MB for ${memory.count.toLocaleString('en-US')} tokens${memory.count === 100_000 ? '' : ` (${fmt.mb(per100k)} MB per 100k, extrapolated${quick ? ', quick run' : ''})`}`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- first-seen, in-process

const FIRST_SEEN_IN_PROCESS_MAX = 1.1;

/** bench/first-seen.mjs in a child pinned to the server core: the package's CPU per new token over jose's. */
function firstSeenInProcess(ctx, options) {
  const args = [join(BENCH_DIR, 'first-seen.mjs'), '--json', '--tokens', options.quick ? '500' : '2000', '--rounds', options.quick ? '3' : '7'];
  const bin = ctx.pinned ? taskset() : undefined;
  const run = bin ? spawnSync(bin, ['-c', '0', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (run.status !== 0) return { error: (run.stderr || `exit ${run.status}`).trim().split('\n').slice(-3).join(' ') };
  try {
    return JSON.parse(run.stdout.trim().split('\n').at(-1));
  } catch {
    return { error: 'first-seen.mjs printed no result' };
  }
}

function inProcessLine(r) {
  return `authenticate() ${r.zrsCpuUs.toFixed(1)} µs of process CPU per never-seen token, jose.jwtVerify (createLocalJWKSet) ${r.joseCpuUs.toFixed(1)} µs: ${r.ratio.toFixed(2)}× (rounds ${r.ratios.map((x) => x.toFixed(2)).join(' / ')}; ${r.tokens} tokens per round, ${r.inFlight} in flight; wall ${r.zrsWallUs.toFixed(0)} vs ${r.joseWallUs.toFixed(0)} µs)`;
}

function inProcessTarget(r) {
  const label = `first-seen in-process: authenticate() ≤ ${FIRST_SEEN_IN_PROCESS_MAX.toFixed(2)}× jose.jwtVerify's CPU per token`;
  if (r.error) return { label, verdict: 'not run', detail: r.error };
  return { label, verdict: r.ratio <= FIRST_SEEN_IN_PROCESS_MAX ? 'pass' : 'miss', detail: inProcessLine(r) };
}

function memoryLines(memory) {
  if (!memory) return [];
  if (memory.error) return [`Memory step failed: ${memory.error}`];
  const mb = (a, b) => fmt.mb(b - a);
  return [
    `Verified ${memory.count.toLocaleString('en-US')} distinct RS256 JWTs (${memory.tokenBytes} bytes each, ZITADEL-shaped with role claims) through \`createResourceServer({ jwtCacheMax: ${Math.max(memory.count, 10_000)} }).decide()\` (the adapters' path) in a child process, ${memory.failures} failures${memory.firstError ? ` (first: ${memory.firstError})` : ''}.`,
    `RSS growth **${mb(memory.before.rss, memory.after.rss)} MB** (${fmt.int((memory.after.rss - memory.before.rss) / memory.count)} bytes per token); V8 heap used +${mb(memory.before.heapUsed, memory.after.heapUsed)} MB (${fmt.int((memory.after.heapUsed - memory.before.heapUsed) / memory.count)} bytes per token); peak RSS of the process ${fmt.mb(memory.vmHWM)} MB (includes the ${fmt.mb(memory.before.arrayBuffers)} MB token file).`,
    `Verification: ${fmt.int(memory.missUs)} µs per token on a miss, ${memory.hitUs.toFixed(1)} µs on a hit (second pass over ${Math.min(memory.count, 5000)} tokens); JWKS fetched ${memory.upstream} time(s) (one per server instance). Minting took ${fmt.seconds(memory.mintMs)}.`,
  ];
}

const FRAMEWORK_TITLE = { express: 'Express 5', nest: 'Nest 12 (platform-express)', fastify: 'Fastify 5' };
const CHART_SERIES = [
  { id: 'ours', label: 'zitadel-resource-server, README defaults (audit on)', color: '#1f5fbf' },
  { id: 'ours-noaudit', label: 'zitadel-resource-server, audit: false', color: '#8db3ea' },
  { id: 'compare', label: 'zitadel-resource-server at the --compare ref', color: '#8e6cc4' },
  { id: 'peer', label: 'peer (express-oauth2-jwt-bearer; passport-jwt + jwks-rsa)', color: '#e07b39' },
  { id: 'floor', label: 'floor: a guard that does nothing', color: '#a3a9b0' },
];
const CHART_ORDER = { floor: 0, ours: 1, 'ours-noaudit': 2, peer: 4 };

/** The SVG bar chart of a run: ratio to the unguarded app, per framework, token mode and server. */
function chartOf(rows, env, compareSha) {
  const panels = [];
  for (const framework of Object.keys(BASELINE)) {
    const base = rows.find((r) => r.id === BASELINE[framework]);
    const guarded = rows.filter((r) => r.framework === framework && r.kind !== 'base');
    if (guarded.length === 0) continue;
    const groups = [];
    for (const scenario of Object.keys(SCENARIOS)) {
      const bars = guarded
        .filter((r) => r.scenario === scenario)
        .map((r) => ({ r, order: r.compareOf !== undefined ? 3 : CHART_ORDER[r.kind] }))
        .sort((a, b) => a.order - b.order)
        .map(({ r }) => ({
          series: r.compareOf !== undefined ? 'compare' : r.kind,
          name: `${r.short}${r.compareOf !== undefined ? ` @${compareSha}` : ''}${r.problem ? ' ⚠' : ''}`,
          value: r.ratio,
          note: r.authUs === undefined ? undefined : `${r.authUs >= 0 ? '+' : '−'}${Math.abs(r.authUs).toFixed(0)} µs CPU/req`,
        }));
      if (bars.length > 0) groups.push({ label: scenario === 'unguarded' ? 'no token check' : SCENARIO_SHORT[scenario], bars });
    }
    const baseText = base?.reqPerSec === undefined ? 'not measured' : `${fmt.int(base.reqPerSec)} req/s, ${base.cpuUsPerReq?.toFixed(0) ?? '–'} µs CPU/req`;
    panels.push({ title: `${FRAMEWORK_TITLE[framework]} — unguarded app (1.0×): ${baseText}`, groups });
  }
  if (panels.length === 0) return undefined;
  const used = new Set(panels.flatMap((p) => p.groups.flatMap((g) => g.bars.map((b) => b.series))));
  const s = env.settings;
  return barChart({
    title: 'Requests per second relative to the same framework\'s unguarded app',
    subtitle: [
      `${env.date.slice(0, 10)} · ${env.sha}${env.libDirty ? ' (lib/ dirty)' : ''} · ${env.model}, ${env.cores} cores, Node ${env.node}${env.taskset ? ' · server and load generator on separate cores' : ''} · load average ${env.loadavg}`,
      env.command.length > 150 ? `${env.command.slice(0, 149)}…` : env.command,
      `autocannon, ${s.connections} connections, token set per request · median of ${s.rounds} interleaved round(s) × ${s.durationS} s · RS256 ZITADEL-shaped JWTs · role check on every guarded route`,
      'Bar labels: the ratio, and the server CPU time per request above the unguarded app (what the guard costs).',
    ],
    series: CHART_SERIES.filter((x) => used.has(x.id)),
    panels,
    referenceLabel: '1.0× = unguarded',
  });
}

function firstSeenLine(rows, ctx) {
  const fs = rows.filter((r) => r.scenario === 'jwt-first-seen' && r.measuredS !== undefined);
  if (fs.length === 0) return [];
  const seconds = fs.map((r) => r.measuredS);
  const minted = ctx.minted.firstSeen;
  return [
    `- First-seen tokens in this run: ${fmt.int(ctx.firstSeenAmount)} measured requests per run, each with its own token (${fmt.int(minted?.count)} minted once in ${minted ? fmt.seconds(minted.ms) : '–'} and sent to every server process, each of them fresh); the runs lasted ${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s. Requests that repeated a token: ${fmt.int(sum(fs.map((r) => r.reused)))}.`,
  ];
}

function markdownReport(env, rows, targets, memory, notes, totalMs, build, compared, ctx, chartFile) {
  const s = env.settings;
  return [
    `# Benchmark ${env.date.slice(0, 10)} · ${env.sha}${env.libDirty ? ' (lib/ had uncommitted changes)' : ''}`,
    '',
    `Command: \`${env.command}\` · total ${fmt.seconds(totalMs)} · dist: ${build}`,
    '',
    `Machine: ${env.model}, ${env.cores} cores, Node ${env.node}; load average at start ${env.loadavg}, at the end ${env.loadavgEnd}. ${env.taskset ? 'Each server process pinned to core 0 (`taskset -c 0`), autocannon (in the bench process, with the test issuer) pinned to core 1.' : '`taskset` not found: nothing pinned.'}`,
    '',
    `Load: autocannon, 127.0.0.1, ${s.connections} connections, \`GET /orders\`, the \`Authorization\` header set per request by \`setupRequest\` on every row (baselines too); every server is a fresh child process per round, its stdout ${s.stdout === 'null' ? '/dev/null' : 'a pipe the bench drains'}; ${s.warmupS} s warm-up, then ${s.rounds} round(s) × ${s.durationS} s measured (\`jwt-first-seen\`: ${fmt.int(s.firstSeenRequests)} requests instead), interleaved (round 1 of every server, then round 2 …, the order rotated each round). Figures are medians of the rounds; peak RSS is the largest VmHWM. \`jwt-pool-1k\` and \`jwt-first-seen\` first send one pass over the 1,000 pool tokens (not measured), then the warm-up on them.`,
    '',
    ...(chartFile ? [`![ratio to the unguarded app per server and token mode](${chartFile})`, ''] : []),
    markdownTable(HEADERS, tableRows(rows)),
    '',
    '`× unguarded`: req/s over the same framework\'s unguarded app. `CPU µs/req`: CPU time of the server process (all threads, user + system) while measured, per request; `auth µs/req`: that minus the same framework\'s unguarded app\'s — what the guard costs the server, steadier than req/s when other processes take CPU from the server\'s core; `× (CPU)`: the unguarded app\'s CPU per request over this row\'s. `upstream/req`: issuer calls (discovery + JWKS + introspection) per request while measured; `start d/j/i`: calls during the server\'s start and warm-up (discovery/JWKS/introspection), first round. `stdout B/req`: bytes the server wrote to stdout per measured request (the audit lines; 0 with audit off). `srv/gen/other CPU`: the server process, the load generator (+ issuer), everything else on the machine, as % of one core — a server well below 100% or a large "other" means the figure is noisy.',
    '',
    '## Targets',
    '',
    markdownTable(['target', 'result', 'detail'], targets.map((t) => [t.label, t.verdict, t.detail])),
    '',
    ...(compared ? [`## Against ${compared.ref} (${compared.sha}), in the same rounds`, '', `The same servers built from \`${compared.ref}\` ran interleaved with this build's; Δ is this build's ratio minus that one's (positive: faster).`, '', markdownTable(compared.headers, compared.lines), ''] : []),
    ...(memory ? ['## Memory', '', ...memoryLines(memory).flatMap((l) => [l, '']),] : []),
    '## Modes and servers',
    '',
    ...Object.entries(SCENARIOS).map(([k, v]) => `- \`${k}\`: ${v}.`),
    ...firstSeenLine(rows, ctx),
    `- All servers get the same tokens from one \`createTestIssuer()\` (RS256, ${ctx.tokenChars ?? '–'} characters, ZITADEL-shaped: \`typ: JWT\`, \`iss\`, \`sub\`, \`aud\`, \`exp\`, \`jti\`, \`client_id\`, role claims), valid for an hour, and check the role \`orders.read\` in \`urn:zitadel:iam:org:project:test-project:roles\`.`,
    '- zitadel-resource-server, the README\'s defaults: Express `protect(options)` (audit: one JSON line per decision on stdout), Nest `ResourceServerModule.forRoot(options)` with Nest\'s default logger (audit events through `Logger`, printed on stdout), the Fastify plugin given the options (JSON lines on stdout); `jwtCacheMax` 10,000, introspection cache 30 s, discovery for the JWKS and introspection endpoints, `client_secret_basic` introspection. "audit off" rows: the same with `audit: false`.',
    '- express-oauth2-jwt-bearer: `auth({ issuer, jwksUri, audience, tokenSigningAlg: \'RS256\' })` + `claimCheck(role)`. It accepts `http:` issuers unless `NODE_ENV=production` (servers run with `NODE_ENV=bench`), and checks `typ` only with `strict: true` (then it demands `at+jwt`); default non-strict mode accepts ZITADEL\'s `typ: JWT`. It has no verified-token cache (JWKS cached).',
    '- Nest + passport-jwt: `PassportStrategy(Strategy)` with `jwks-rsa` `passportJwtSecret({ cache: true, rateLimit: true })`, `AuthGuard(\'jwt\')` + a role guard. No verified-token cache (signing key cached).',
    '- Every Nest server keeps Nest\'s default logger (`NestFactory.create(AppModule)`); the unguarded ones print only start-up lines.',
    ...(notes.length > 0 ? ['', '## Notes', '', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

function writeResults(name, markdown, json, svg, latest) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = [join(RESULTS_DIR, `${name}.md`), join(RESULTS_DIR, `${name}.json`), join(RESULTS_DIR, `${latest}.md`)];
  writeFileSync(files[0], markdown);
  writeFileSync(files[1], `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(files[2], markdown.replaceAll(`](${name}.svg)`, `](${latest}.svg)`));
  if (svg !== undefined) {
    files.push(join(RESULTS_DIR, `${name}.svg`), join(RESULTS_DIR, `${latest}.svg`));
    writeFileSync(files[3], svg);
    writeFileSync(files[4], svg);
  }
  return files.map((f) => relative(ROOT, f));
}

// ---------------------------------------------------------------- profile

async function profileStep(ctx, options, env, compare) {
  const framework = options.profile.replace(/-noaudit$/, '');
  const noaudit = compare !== undefined || options.profile.endsWith('-noaudit');
  const title = framework === 'nest' ? 'Nest' : 'Express';
  const profiled = [];
  // With --compare: this package's server (audit off, the cached-verdict rule of #12) built
  // from the other ref first, then from this checkout, so the diff reads "what this build adds".
  const oursRun = RUNS.find((r) => r.id === `${framework}-zrs${noaudit ? '-noaudit' : ''}/jwt-repeated`);
  const runs = compare === undefined ? [RUNS.find((r) => r.id === `${framework}/unguarded`), oursRun] : [compareRuns([oursRun], compare)[0], oursRun];
  for (const run of runs) {
    const id = run.id;
    const dir = mkdtempSync(join(tmpdir(), 'zrs-bench-prof-'));
    try {
      const result = await runOnce(run, ctx, options, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'] });
      if (result.error) throw new Error(`${id}: ${result.error}`);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${id}: no .cpuprofile written`);
      const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), { root: ROOT });
      profiled.push({ id, label: id, result, summary, requests: result.requests + (result.warmupRequests ?? 0) });
      console.log(`${id}: ${fmt.int(result.reqPerSec)} req/s under the profiler`);
    } finally {
      if (options.keepProfiles) console.log(`${id}: profile kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  const [base, ours] = profiled;
  const report = (markdown) =>
    [
      markdown ? '## Where the time goes, per request' : 'Where the time goes, per request',
      '',
      formatAreaComparison(profiled, { markdown }),
      '',
      `(${fmt.int(base.requests)} and ${fmt.int(ours.requests)} requests; process start is included in both profiles.)`,
      '',
      markdown ? '## Functions whose self time per request grew most' : 'Functions whose self time per request grew most',
      '',
      formatFunctionDiff(profiled, { top: 30, markdown }),
      '',
      markdown ? `# ${title} + zitadel-resource-server, repeated JWT` : `== ${title} + zitadel-resource-server, repeated JWT ==`,
      '',
      formatProfileReport(ours.summary, { top: 30, markdown }),
    ].join('\n');
  const header = [
    `# CPU profile ${env.date.slice(0, 10)} · ${env.sha}${env.libDirty ? ' (lib/ had uncommitted changes)' : ''}`,
    '',
    `\`${env.command}\`: unguarded ${title} and ${title} + zitadel-resource-server (one repeated JWT), each under \`node --cpu-prof --cpu-prof-interval 250\` for its whole life (start, ${options.warmup} s warm-up, ${options.duration} s at ${options.connections} connections). Under the profiler: ${fmt.int(base.result.reqPerSec)} and ${fmt.int(ours.result.reqPerSec)} req/s. ${env.model}, Node ${env.node}; load average ${env.loadavg}.`,
    '',
  ].join('\n');
  const prefix = framework === 'nest' ? 'profile-nest' : 'profile';
  const stamp = `${prefix}-${env.date.slice(0, 10)}-${env.sha}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${stamp}.md`), `${header}${report(true)}\n`);
  writeFileSync(join(RESULTS_DIR, `${prefix}-latest.md`), `${header}${report(true)}\n`);
  console.log(`\n${report(false)}`);
  console.log(`\nwrote bench/results/${stamp}.md and bench/results/${prefix}-latest.md`);
}

// ---------------------------------------------------------------- main

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(HELP);
    return;
  }
  if (options.chart !== undefined) {
    const saved = JSON.parse(readFileSync(options.chart, 'utf8'));
    const compareSha = /@([0-9a-f]+)\//.exec(saved.rows.find((r) => r.compareOf !== undefined)?.id ?? '')?.[1];
    const svg = chartOf(saved.rows, saved.env, compareSha);
    if (svg === undefined) throw new Error(`${options.chart}: no guarded rows to draw`);
    const out = options.chart.replace(/\.json$/, '') + '.svg';
    writeFileSync(out, svg);
    console.log(`wrote ${out}`);
    return;
  }
  const notes = [];
  const build = options.build ? ensureBuild(notes) : 'not checked (--no-build)';
  const env = environment(options);
  const selection = options.profile ? { runs: [], memory: false } : selectRuns(options.only);
  const compare = options.compare === undefined ? undefined : buildRef(options.compare);
  if (compare !== undefined) selection.runs = [...selection.runs, ...compareRuns(selection.runs, compare)];
  console.log(`${env.command} · ${env.model}, ${env.cores} cores, Node ${env.node} · ${env.sha}${env.libDirty ? ' (lib/ dirty)' : ''} · load average ${env.loadavg}`);

  const { createTestIssuer } = await import(pathToFileURL(join(ROOT, 'dist', 'testing', 'index.js')).href);
  const issuer = await createTestIssuer();
  const ctx = { issuer, pinned: false, headers: {}, serverConfig: '', firstSeenAmount: 0, minted: {} };
  try {
    ctx.serverConfig = JSON.stringify({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: issuer.projectId,
      projectId: issuer.projectId,
      introspectionClient: issuer.introspectionClient,
    });
    await mintTokens(ctx, selection.runs, options);
    env.settings.firstSeenRequests = ctx.firstSeenAmount || undefined;
    env.settings.firstSeenRate = options.firstSeenRate;
    ctx.pinned = pinSelf('1');
    if (!ctx.pinned) notes.push('`taskset` is not available: server and load generator were not pinned to separate cores.');

    if (options.profile) {
      await profileStep(ctx, options, env, compare);
      console.log(`total ${fmt.seconds(performance.now() - startedAt)}`);
      return;
    }

    const results = new Map(selection.runs.map((r) => [r.id, []]));
    const n = selection.runs.length;
    for (let round = 0; round < options.rounds; round++) {
      const shift = n === 0 ? 0 : Math.floor((round * n) / options.rounds);
      const order = [...selection.runs.slice(shift), ...selection.runs.slice(0, shift)];
      for (const run of order) {
        const r = await runOnce(run, ctx, options, { round: round + 1 });
        results.get(run.id).push(r);
        const status = r.error ? `failed: ${r.error}` : `${fmt.int(r.reqPerSec)} req/s, ${r.cpuUsPerReq?.toFixed(0) ?? '–'} µs CPU/req, p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms${r.scenario === 'jwt-first-seen' ? `, ${r.durationS.toFixed(1)} s` : ''}${r.non2xx + r.errors + r.timeouts > 0 ? ` ⚠ ${r.non2xx} non-2xx, ${r.errors} errors` : ''}${r.reused > 0 ? ` ⚠ ${r.reused} repeated tokens` : ''}`;
        console.log(`round ${round + 1}/${options.rounds}  ${run.id.padEnd(40)} ${status}`);
      }
    }
    const rows = withRatios(selection.runs.map((run) => aggregate(run, results.get(run.id))));
    for (const r of rows) if (r.problem) notes.push(`${r.id}: ${r.problem}`);
    for (const r of rows) {
      if (r.serverCpu !== undefined && r.serverCpu < 85) notes.push(`${r.id}: the server used only ${fmt.pct(r.serverCpu)} of its core while measured (load generator ${fmt.pct(r.generatorCpu)}, other processes ${fmt.pct(r.otherCpu)}): treat its figure with care.`);
    }
    const busiest = max(rows.map((r) => r.otherCpu));
    if (busiest !== undefined && busiest > 20) notes.push(`Other processes on the machine used up to ${fmt.pct(busiest)} of a core during measurements (see the CPU column): the figures are noisier than on an idle machine.`);

    let memory;
    if (selection.memory) {
      console.log(`memory step: minting ${options.memoryTokens.toLocaleString('en-US')} JWTs, then verifying them in a child process …`);
      memory = await memoryStep(ctx, options.memoryTokens);
      for (const line of memoryLines(memory)) console.log(line.replace(/\*\*/g, ''));
    }

    let inProcess;
    if (selection.inProcess) {
      console.log('in-process step: authenticate() on never-seen tokens against jose.jwtVerify, process CPU time …');
      inProcess = firstSeenInProcess(ctx, options);
      console.log(inProcess.error ? `in-process step failed: ${inProcess.error}` : `  ${inProcessLine(inProcess)}`);
    }

    const targets = evaluateTargets(rows, memory, options.quick);
    if (inProcess) targets.push(inProcessTarget(inProcess));
    const compared = compare === undefined ? undefined : compareLines(rows, compare);
    const totalMs = performance.now() - startedAt;
    if (rows.length > 0) console.log(`\n${textTable(HEADERS, tableRows(rows))}\n`);
    if (compared !== undefined) console.log(`${textTable(compared.headers, compared.lines)}\n`);
    for (const t of targets) console.log(`${t.verdict.padEnd(7)} ${t.label}: ${t.detail}`);
    for (const note of notes) console.log(`note: ${note}`);

    const kind = options.only ? (options.quick ? 'quick-partial' : 'partial') : options.quick ? 'quick' : undefined;
    env.loadavgEnd = machine().loadavg;
    const name = `${env.date.slice(0, 10)}-${env.sha}${kind ? `-${kind}` : ''}`;
    const svg = chartOf(rows, env, compare?.sha);
    const markdown = markdownReport(env, rows, targets, memory, notes, totalMs, build, compared && { ...compared, ref: options.compare, sha: compare.sha }, ctx, svg === undefined ? undefined : `${name}.svg`);
    const files = writeResults(name, markdown, { env, build, rows, targets, memory, notes, totalMs, minted: ctx.minted, firstSeenRequests: ctx.firstSeenAmount }, svg, kind ? `latest-${kind}` : 'latest');
    console.log(`\nwrote ${files.join(', ')}`);
    console.log(`total ${fmt.seconds(totalMs)}`);
  } finally {
    await issuer.close();
    if (compare !== undefined) rmSync(compare.dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
