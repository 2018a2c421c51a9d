// The README's testing recipes, built from the packed tarball by scripts/smoke-pack.mjs: each
// app under scripts/smoke/recipes/<name>/ is copied as it is (the README shows its files
// verbatim, test/readme/readme.test.ts checks that), installed from the npm registry, and
// run with its own commands -- its type-check, build and test scripts -- and then its
// production entry is started with its default logger and probed (recipe-probe.mjs): audit
// events must arrive as structured fields.
//
// The Nest apps are the files `nest new` writes (Nest 11: CommonJS, Jest with ts-jest, config
// in package.json and test/jest-e2e.json; Nest 12: ESM, Vitest), without the CLI, lint and
// format tooling (@nestjs/cli, eslint/oxlint, prettier): `build` is `tsc -p tsconfig.build.json`,
// which is what `nest build` runs for a tsc project. The Express app is an `npm init` ESM
// project tested with node:test.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const RECIPE_DIR = join(here, 'recipes');
const PROBE = join(here, 'recipe-probe.mjs');

/** Colour off and no inherited NODE_OPTIONS: the output is parsed, and a user's shell has neither. */
const ENV = { NO_COLOR: '1', FORCE_COLOR: '0', NODE_OPTIONS: '', CI: 'true' };

const TSC = ['node', ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']];

/**
 * @typedef {{ name: string, command: [string, string[]], runner?: 'jest' | 'vitest' | 'node-test', tests?: number, auditInOutput?: boolean }} Step
 * @typedef {{ name: string, title: string, versions: Record<string, string>, steps: Step[], probe: { format: 'nest' | 'json-lines', entry: string } }} Recipe
 */

/** @type {Recipe[]} */
export const RECIPES = [
  {
    name: 'nest11-jest',
    title: 'Nest 11 (nest new, CommonJS) with Jest',
    // Installed major (and, for TypeScript, the minor it must at least be: TS1479 before 5.8).
    versions: { '@nestjs/core': '11', jest: '30', 'ts-jest': '29', typescript: '5.8' },
    steps: [
      { name: 'npm run build (tsc -p tsconfig.build.json, module nodenext in a CommonJS package)', command: ['npm', ['run', 'build']] },
      { name: 'tsc --noEmit -p tsconfig.json (src and test: ts-jest does not type-check with isolatedModules)', command: TSC },
      { name: 'npm test', command: ['npm', ['test']], runner: 'jest', tests: 1 },
      { name: 'npm run test:e2e', command: ['npm', ['run', 'test:e2e']], runner: 'jest', tests: 4 },
    ],
    probe: { format: 'nest', entry: 'dist/main.js' },
  },
  {
    name: 'nest12-vitest-fastify',
    title: 'Nest 12 (nest new, ESM) on Fastify with Vitest',
    versions: { '@nestjs/core': '12', '@nestjs/platform-fastify': '12', vitest: '4', vite: '8', typescript: '6' },
    steps: [
      { name: 'npm run build (tsc -p tsconfig.build.json)', command: ['npm', ['run', 'build']] },
      { name: 'tsc --noEmit -p tsconfig.json (src and test)', command: TSC },
      { name: 'npm test', command: ['npm', ['test']], runner: 'vitest', tests: 1 },
      { name: 'npm run test:e2e', command: ['npm', ['run', 'test:e2e']], runner: 'vitest', tests: 4 },
    ],
    probe: { format: 'nest', entry: 'dist/main.js' },
  },
  {
    name: 'express-node-test',
    title: 'Express 5 (npm init, ESM) with node:test',
    versions: { express: '5' },
    steps: [{ name: 'npm test (node --test)', command: ['npm', ['test']], runner: 'node-test', tests: 3, auditInOutput: true }],
    probe: { format: 'json-lines', entry: 'src/server.js' },
  },
];

/**
 * Copies a recipe app into `tmp`, with the package taken from the tarball instead of the
 * registry (the template names the published range, as a user's package.json would).
 * @returns {{ dir: string, range: string }}
 */
export function writeRecipe(recipe, tmp, tarball) {
  const dir = join(tmp, recipe.name);
  cpSync(join(RECIPE_DIR, recipe.name), dir, { recursive: true });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const range = manifest.dependencies['zitadel-resource-server'];
  manifest.dependencies['zitadel-resource-server'] = `file:${tarball}`;
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(PROBE, join(dir, 'smoke-probe.mjs'));
  return { dir, range };
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(readFileSync(join(dir, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** `want` is a major (`'11'`) or a major.minor minimum (`'5.8'`: 5.x, at least 5.8). */
function satisfies(version, want) {
  if (version === undefined) return false;
  const [major, minor] = version.split('.').map(Number);
  const [wantMajor, wantMinor] = want.split('.').map(Number);
  return major === wantMajor && (wantMinor === undefined || minor >= wantMinor);
}

/** Tests passed and run, from the runner's closing lines (colour is off). */
function testCounts(runner, text) {
  if (runner === 'jest') {
    const line = /^Tests:\s+(.*)$/m.exec(text)?.[1] ?? '';
    return { passed: Number(/(\d+) passed/.exec(line)?.[1] ?? NaN), total: Number(/(\d+) total/.exec(line)?.[1] ?? NaN) };
  }
  if (runner === 'vitest') {
    const line = /^\s*Tests\s+(.*)$/m.exec(text)?.[1] ?? '';
    return { passed: Number(/(\d+) passed/.exec(line)?.[1] ?? NaN), total: Number(/\((\d+)\)/.exec(line)?.[1] ?? NaN) };
  }
  // node:test, TAP (`# pass 4`) or spec (`ℹ pass 4`) reporter
  const count = (what) => Number(new RegExp(`^(?:# |ℹ )${what} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { passed: count('pass'), total: count('tests'), failed: count('fail') };
}

/** Audit events that the app's default sink wrote into a test run's output, one JSON object per line. */
function auditLines(text) {
  return text
    .split('\n')
    .filter((line) => line.includes('{"version":1,'))
    .map((line) => {
      try {
        return JSON.parse(line.slice(line.indexOf('{"version":1,')));
      } catch {
        return undefined;
      }
    });
}

/**
 * Runs a recipe app's own commands and the probe; reports through the smoke script's helpers.
 * @param {{ run: Function, pass: Function, fail: Function, warn: Function, tail: Function, output: Function, seconds: Function }} ctx
 */
export async function exerciseRecipe(recipe, dir, range, version, ctx) {
  const { run, pass, fail, warn, tail, output, seconds } = ctx;
  const label = recipe.name;

  const [major, minor] = version.split('.');
  const expectedRange = major === '0' ? `^0.${minor}.0` : `^${major}.0.0`;
  if (range === expectedRange) pass(`[${label}] the recipe's package.json asks for zitadel-resource-server ${range}`);
  else fail(`[${label}] the recipe's package.json asks for zitadel-resource-server ${range}`, `the package is ${version}: update scripts/smoke/recipes/*/package.json and the README to ${expectedRange}`);

  const versions = Object.keys(recipe.versions).map((name) => `${name}@${installedVersion(dir, name)}`);
  const wrong = Object.entries(recipe.versions).filter(([name, want]) => !satisfies(installedVersion(dir, name), want));
  if (wrong.length === 0) pass(`[${label}] installed ${versions.join(', ')}`);
  else fail(`[${label}] installed versions`, `${versions.join(', ')}; wanted ${wrong.map(([n, w]) => `${n} ${w}`).join(', ')}`);

  for (const step of recipe.steps) {
    const [command, args] = step.command;
    const r = await run(command === 'node' ? process.execPath : command, args, { cwd: dir, env: ENV, timeoutMs: 180_000 });
    const text = output(r);
    if (step.runner === undefined) {
      if (r.code === 0) pass(`[${label}] ${step.name}`, seconds(r.ms));
      else fail(`[${label}] ${step.name} (exit ${r.code ?? r.signal})`, tail(text, 30));
      continue;
    }
    const counts = testCounts(step.runner, text);
    const ok = r.code === 0 && counts.passed === step.tests && counts.total === step.tests && (counts.failed ?? 0) === 0;
    if (ok) pass(`[${label}] ${step.name}: ${counts.passed} of ${counts.total} tests passed (${step.runner})`, seconds(r.ms));
    else fail(`[${label}] ${step.name} (exit ${r.code ?? r.signal}; ${counts.passed} passed of ${counts.total}, want ${step.tests})`, tail(text, 40));
    if (step.auditInOutput) {
      const events = auditLines(text);
      const denied = events.find((e) => e?.reason === 'ERR_ROLE_INSUFFICIENT');
      const parsed = events.length >= 3 && events.every((e) => e !== undefined && typeof e.decision === 'string');
      if (parsed && denied?.decision === 'deny' && denied.subject === 'svc-2' && denied.route?.template === '/orders') {
        pass(`[${label}] ${step.name}: the default sink wrote ${events.length} audit events, each a JSON object with its fields`);
      } else {
        fail(`[${label}] ${step.name}: audit events as JSON objects in the output`, `${events.length} found; deny: ${JSON.stringify(denied)}\n${tail(text, 20)}`);
      }
    }
  }

  const r = await run(process.execPath, ['smoke-probe.mjs', label, recipe.probe.format, recipe.probe.entry], { cwd: dir, env: ENV, timeoutMs: 90_000 });
  const lines = r.stdout.split('\n').filter((line) => line !== '');
  for (const line of lines) console.log(`      | ${line}`);
  const failed = lines.filter((line) => line.startsWith('FAIL'));
  const checks = lines.filter((line) => line.startsWith('ok') || line.startsWith('FAIL'));
  if (r.code === 0 && failed.length === 0 && checks.length >= 7) {
    pass(`[${label}] \`node ${recipe.probe.entry}\` with the default logger: ${checks.length} checks, audit events as structured fields`, seconds(r.ms));
  } else {
    fail(`[${label}] probe of \`node ${recipe.probe.entry}\` (exit ${r.code ?? r.signal})`, [...failed, tail(r.stderr, 20)].filter(Boolean).join('\n'));
  }
  const warnings = lines.filter((line) => line.startsWith('warn'));
  if (warnings.length > 0) warn(`[${label}] Node printed warnings`, warnings.join('\n'));
}
