// Top functions of a V8 .cpuprofile (from `node --cpu-prof`): self time summed per function,
// inclusive time per function (each function counted once per sample, so recursion does
// not double count), and self time per area (this package, jose, express, node internals …).
//
//   node bench/cpuprofile-top.mjs <file.cpuprofile> [--top 30] [--markdown]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `--compare` builds another ref (run.mjs buildRef): its dist/ counts as this package's. */
const COMPARED_BUILD = /^.*\/zrs-bench-[0-9a-f]+-[^/]+\//;

/** Which part of the process a frame belongs to. */
function areaOf(url, functionName, root) {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, unattributed)';
    return 'native / builtins';
  }
  if (url.startsWith('node:internal/crypto')) return 'node crypto';
  if (url.startsWith('node:')) return 'node internals (http, streams, events …)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = (root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path).replace(COMPARED_BUILD, '');
  if (rel.startsWith('dist/')) return 'zitadel-resource-server (dist/)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1];
  if (pkg) return pkg;
  if (rel.startsWith('bench/')) return 'bench server';
  return 'other';
}

function shortLocation(url, line, root) {
  if (url === '') return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (root && path.startsWith(`${root}/`)) path = path.slice(root.length + 1);
  path = path.replace(/^.*node_modules\//, '').replace(COMPARED_BUILD, '');
  return `${path}:${line + 1}`;
}

/**
 * Sums a profile: `{ totalMs, functions: [{ name, location, area, selfMs, inclusiveMs }], areas: [{ area, selfMs }] }`.
 * `root` (the repo path) shortens locations and recognises this package's frames.
 */
export function summarizeProfile(profile, { root } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const keyOf = new Map();
  const functions = new Map();
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    const key = `${name}|${url}|${lineNumber}`;
    keyOf.set(n.id, key);
    if (!functions.has(key)) {
      functions.set(key, { name, location: shortLocation(url, lineNumber, root), area: areaOf(url, functionName, root), selfMs: 0, inclusiveMs: 0 });
    }
  }
  // timeDeltas[i] is the time before sample i; the time spent in sample i is timeDeltas[i + 1].
  const { samples, timeDeltas } = profile;
  let totalMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const ms = (timeDeltas[i + 1] ?? 0) / 1000;
    if (ms <= 0) continue;
    totalMs += ms;
    const leaf = samples[i];
    functions.get(keyOf.get(leaf)).selfMs += ms;
    const seen = new Set();
    for (let id = leaf; id !== undefined; id = parent.get(id)) {
      const key = keyOf.get(id);
      if (seen.has(key) || nodes.get(id).callFrame.functionName === '(root)') continue;
      seen.add(key);
      functions.get(key).inclusiveMs += ms;
    }
  }
  const areas = new Map();
  for (const f of functions.values()) areas.set(f.area, (areas.get(f.area) ?? 0) + f.selfMs);
  return {
    totalMs,
    functions: [...functions.values()].filter((f) => f.name !== '(root)'),
    areas: [...areas.entries()].map(([area, selfMs]) => ({ area, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
  };
}

function table(headers, rows, markdown) {
  if (markdown) {
    return [`| ${headers.join(' | ')} |`, `| ${headers.map((_, i) => (i === 0 || i === headers.length - 1 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary as text (or markdown): areas, top self time, and this package's functions by inclusive time. */
export function formatProfileReport(summary, { top = 30, markdown = false } = {}) {
  const busy = summary.totalMs - (summary.areas.find((a) => a.area === 'idle')?.selfMs ?? 0);
  const pct = (ms) => `${((ms / busy) * 100).toFixed(1)}%`;
  const ms = (v) => v.toFixed(0);
  const h = (title) => (markdown ? `## ${title}\n` : `\n${title}\n`);
  const selfTop = [...summary.functions].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  const ours = summary.functions.filter((f) => f.area.startsWith('zitadel-resource-server')).sort((a, b) => b.inclusiveMs - a.inclusiveMs).slice(0, top);
  return [
    `Profile: ${ms(summary.totalMs)} ms sampled, ${ms(busy)} ms not idle (percentages below are of the non-idle time).`,
    '',
    h('Self time by area'),
    table(['area', 'self ms', 'self %'], summary.areas.filter((a) => a.area !== 'idle' && a.selfMs >= 1).map((a) => [a.area, ms(a.selfMs), pct(a.selfMs)]), markdown),
    '',
    h(`Top ${top} functions by self time`),
    table(['function', 'self ms', 'self %', 'incl %', 'where'], selfTop.map((f) => [f.name, ms(f.selfMs), pct(f.selfMs), pct(f.inclusiveMs), f.location || f.area]), markdown),
    '',
    h('This package\'s functions by inclusive time'),
    table(['function', 'incl ms', 'incl %', 'self %', 'where'], ours.map((f) => [f.name, ms(f.inclusiveMs), pct(f.inclusiveMs), pct(f.selfMs), f.location]), markdown),
  ].join('\n');
}

/**
 * Self time per area of several profiles, in µs per request: `runs` is
 * `[{ label, summary, requests }]`; the last column is the difference last − first.
 */
export function formatAreaComparison(runs, { markdown = false } = {}) {
  const areas = [...new Set(runs.flatMap((r) => r.summary.areas.map((a) => a.area)))].filter((a) => a !== 'idle');
  const perRequest = (run, area) => ((run.summary.areas.find((a) => a.area === area)?.selfMs ?? 0) * 1000) / run.requests;
  const rows = areas
    .map((area) => [area, ...runs.map((run) => perRequest(run, area)), perRequest(runs[runs.length - 1], area) - perRequest(runs[0], area)])
    .filter((row) => row.slice(1).some((v) => Math.abs(v) >= 0.05))
    .sort((a, b) => b[b.length - 1] - a[a.length - 1]);
  const totals = ['total (not idle)', ...runs.map((run) => areas.reduce((t, area) => t + perRequest(run, area), 0))];
  totals.push(totals[totals.length - 1] - totals[1]);
  const cells = [...rows, totals].map(([area, ...values]) => [area, ...values.map((v, i) => (i === values.length - 1 && v > 0 ? '+' : '') + v.toFixed(1))]);
  return table(['area (self time, µs per request)', ...runs.map((r) => r.label), 'difference'], cells, markdown);
}

/**
 * The functions whose self time per request grew most from the first profile to the last
 * (`runs` as for {@link formatAreaComparison}): what the added middleware costs, by function.
 */
export function formatFunctionDiff(runs, { top = 25, markdown = false } = {}) {
  const first = runs[0];
  const last = runs[runs.length - 1];
  const key = (f) => `${f.name}|${f.location}`;
  const before = new Map(first.summary.functions.map((f) => [key(f), f]));
  const rows = last.summary.functions
    .filter((f) => f.area !== 'idle')
    .map((f) => {
      const was = ((before.get(key(f))?.selfMs ?? 0) * 1000) / first.requests;
      const now = (f.selfMs * 1000) / last.requests;
      return { f, was, now, diff: now - was, incl: (f.inclusiveMs * 1000) / last.requests };
    })
    .sort((a, b) => b.diff - a.diff)
    .slice(0, top);
  return table(
    ['function', `${first.label} µs/req`, `${last.label} µs/req`, 'added µs/req', 'incl µs/req', 'where'],
    rows.map((r) => [r.f.name, r.was.toFixed(2), r.now.toFixed(2), `+${r.diff.toFixed(2)}`, r.incl.toFixed(1), r.f.location || r.f.area]),
    markdown,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [--top N] [--markdown]');
    process.exit(2);
  }
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex === -1 ? 30 : Number(process.argv[topIndex + 1]);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), { root: process.cwd() });
  console.log(formatProfileReport(summary, { top, markdown: process.argv.includes('--markdown') }));
}
