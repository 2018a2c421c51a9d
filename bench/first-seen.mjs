// First-seen tokens in-process: what `rs.authenticate()` costs on a token it has never seen,
// against the floor — `jose.jwtVerify` with a local JWKS (`createLocalJWKSet`) on the same
// kind of token — measured side by side in one process, in interleaved rounds.
//
//   node bench/first-seen.mjs [--tokens N] [--rounds R] [--in-flight K] [--json]
//
// The figure is process CPU time (user + system, every thread: WebCrypto runs the RSA
// check on libuv's pool, off the main thread), not wall time. Each round verifies fresh
// tokens (never seen by that resource server: a new instance per round, its JWKS loaded
// beforehand) with K in flight. Run by `npm run bench` as its in-process step.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createResourceServer } from '../dist/index.js';
import { createTestIssuer } from '../dist/testing/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const TOKENS = option('tokens', 2000);
const ROUNDS = option('rounds', 5);
const IN_FLIGHT = option('in-flight', 32);

const issuer = await createTestIssuer({ keys: 'shared' });
const jwks = await (await fetch(issuer.jwksUri)).json();
const localJwks = createLocalJWKSet(jwks);
const claims = issuer.roleClaims(['orders.read']);
let serial = 0;
const mint = async (count) => {
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    serial += 1;
    tokens.push(await issuer.mintJwt({ ...claims, sub: `3${String(serial).padStart(17, '0')}` }, { expiresIn: 3600 }));
  }
  return tokens;
};

// What jose alone checks: the floor. The package checks more (header rules, required
// claims, canonical encoding, roles), and hashes, interns and caches the verdict.
const joseVerify = (token) =>
  jwtVerify(token, localJwks, { issuer: issuer.issuer, audience: issuer.projectId, algorithms: ['RS256'], clockTolerance: 5, requiredClaims: ['exp'] });

/** A resource server with the README's options, its discovery and JWKS already loaded. */
async function freshServer() {
  const rs = createResourceServer({ issuer: issuer.issuer, audience: issuer.projectId, projectId: issuer.projectId });
  await rs.authenticate(`Bearer ${(await mint(1))[0]}`);
  return rs;
}

async function measure(tokens, verify) {
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) await verify(tokens[next++]);
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / tokens.length, wallUs: ((performance.now() - started) * 1000) / tokens.length };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Warm-up: JIT for both paths.
{
  const rs = await freshServer();
  const warm = await mint(300);
  await measure(warm, joseVerify);
  await measure(warm, (t) => rs.authenticate(`Bearer ${t}`));
}

const rounds = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const tokens = await mint(TOKENS);
  const rs = await freshServer();
  // Alternate which goes first, so neither always runs on a warmer or colder process.
  const pair = round % 2 === 0
    ? [await measure(tokens, joseVerify), await measure(tokens, (t) => rs.authenticate(`Bearer ${t}`))]
    : (([zrs, jose]) => [jose, zrs])([await measure(tokens, (t) => rs.authenticate(`Bearer ${t}`)), await measure(tokens, joseVerify)]);
  rounds.push({ jose: pair[0], zrs: pair[1], ratio: pair[1].cpuUs / pair[0].cpuUs });
  if (!args.includes('--json')) console.log(`round ${round + 1}/${ROUNDS}: jose ${pair[0].cpuUs.toFixed(1)} µs CPU/token, authenticate() ${pair[1].cpuUs.toFixed(1)} µs → ${rounds.at(-1).ratio.toFixed(2)}×`);
}
await issuer.close();

const result = {
  tokens: TOKENS,
  rounds: ROUNDS,
  inFlight: IN_FLIGHT,
  joseCpuUs: median(rounds.map((r) => r.jose.cpuUs)),
  zrsCpuUs: median(rounds.map((r) => r.zrs.cpuUs)),
  ratio: median(rounds.map((r) => r.ratio)),
  ratios: rounds.map((r) => Number(r.ratio.toFixed(3))),
  joseWallUs: median(rounds.map((r) => r.jose.wallUs)),
  zrsWallUs: median(rounds.map((r) => r.zrs.wallUs)),
};
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.log(`median: authenticate() ${result.zrsCpuUs.toFixed(1)} µs CPU per new token, jose.jwtVerify ${result.joseCpuUs.toFixed(1)} µs → ${result.ratio.toFixed(2)}× (target ≤ 1.10×)`);
