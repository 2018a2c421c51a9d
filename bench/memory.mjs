// Memory step (child process, run with --expose-gc): verifies N distinct JWTs through
// createResourceServer(...).decide — what the Express, Nest and Fastify adapters call — with
// jwtCacheMax ≥ N and reports the RSS (and heap)
// growth the verified-token cache causes.
//
//   node --expose-gc bench/memory.mjs <tokens.txt>      (tokens from bench/mint-tokens.mjs)
//
// The tokens sit in one Buffer (counted in the baseline); each is sliced into a fresh
// string just before it is verified, so the string is garbage afterwards unless the
// package keeps it — as it would be in a server, where the token arrives in a request.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createResourceServer, createRoute } from '../dist/index.js';

const file = process.argv[2];
if (!file || typeof globalThis.gc !== 'function') throw new Error('usage: node --expose-gc bench/memory.mjs <tokens.txt>');
const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
const buffer = readFileSync(file);
const ends = [];
for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) ends.push(i);
ends.push(buffer.length);
const count = ends.length;
const tokenAt = (i) => buffer.toString('latin1', i === 0 ? 0 : ends[i - 1] + 1, ends[i]);

const jwksBody = JSON.stringify(meta.jwks);
let upstream = 0;
const fetchJwks = async () => {
  upstream += 1;
  return new Response(jwksBody, { status: 200, headers: { 'content-type': 'application/json' } });
};
const serverOptions = (jwtCacheMax) => ({
  issuer: meta.issuer,
  audience: meta.audience,
  projectId: meta.projectId,
  jwksUri: `${meta.issuer}/oauth/v2/keys`,
  fetch: fetchJwks,
  jwtCacheMax,
});

async function settle() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(50);
  }
}
const snapshot = () => {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
};

// One request as an adapter sees it: a fresh header string per request (as a server gets it).
const route = createRoute({ rules: [] });
async function decide(server, token) {
  const decision = await server.decide({ http: { headers: { authorization: `Bearer ${token}` } } }, route);
  if (decision.outcome !== 'allow') throw decision.error ?? new Error(decision.outcome);
}

// Warm the code paths (JIT, JWKS import) on a throwaway server whose cache is dropped.
{
  const warm = createResourceServer(serverOptions(0));
  for (let i = 0; i < Math.min(2000, count); i++) await decide(warm, tokenAt(i));
}
const rs = createResourceServer(serverOptions(Math.max(count, 10_000)));
await settle();
const before = snapshot();
const started = performance.now();
let failures = 0;
let firstError;
for (let i = 0; i < count; i++) {
  try {
    await decide(rs, tokenAt(i));
  } catch (error) {
    failures += 1;
    firstError ??= `${error.code ?? error.name}: ${error.message}`;
  }
}
const verifyMs = performance.now() - started;
// Every one must now be a cache hit: time a second pass over a sample.
const sample = Math.min(count, 5000);
const hitStarted = performance.now();
for (let i = 0; i < sample; i++) await decide(rs, tokenAt(i));
const hitUs = ((performance.now() - hitStarted) * 1000) / sample;
await settle();
const after = snapshot();
const result = {
  count,
  failures,
  firstError,
  verifyMs,
  missUs: (verifyMs * 1000) / count,
  hitUs,
  upstream,
  tokenBytes: Math.round((buffer.length - count + 1) / count),
  before,
  after,
  vmHWM: Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024,
};
// Keep the server (and its cache) alive up to the final measurement.
if (rs.options === undefined) console.log('unreachable');
if (process.send) process.send({ type: 'memory', result }, () => process.exit(0));
else console.log(JSON.stringify(result, null, 2));
