#!/usr/bin/env node
// Packaging smoke test: packs this package with `npm pack`, checks what the tarball holds,
// installs it into two throwaway apps -- Nest 11 compiled to CommonJS (loads the ESM package
// through Node's require(esm)) and Nest 12 as native ESM -- and sends real requests through
// each, and likewise into a Fastify 5 app (ESM, plus a CommonJS script that require()s the plugin); also runs publint
// and @arethetypeswrong/cli on the tarball. Then builds the README's testing recipes from the
// tarball (scripts/smoke/recipes.mjs: Nest 11 + Jest, Nest 12 on Fastify + Vitest, Express +
// node:test), runs each app's own test commands and checks its default audit output.
//
//   node scripts/smoke-pack.mjs          (npm run smoke)
//
// Needs: Node ^20.19 || >=22.12, npm, tar, and the npm registry. Builds dist/ first when it
// is missing. Temp directories are removed at the end, on failure too; SMOKE_KEEP=1 keeps
// them for debugging. Exits 0 only when every check passed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECIPES, exerciseRecipe, writeRecipe } from './smoke/recipes.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const templateDir = join(root, 'scripts', 'smoke');
const keep = process.env.SMOKE_KEEP === '1';
const started = Date.now();

/** Versions of the lint tools, pinned to a major so a new release cannot break CI unannounced. */
const PUBLINT = 'publint@^0.3';
const ATTW = '@arethetypeswrong/cli@^0.18';
const TYPESCRIPT = '6.0.3';

const INSTALL_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock'];

/** Entries the tarball must hold (paths inside the package). */
const REQUIRED = ['package.json'];
for (const entry of ['', 'nest/', 'express/', 'fastify/', 'testing/']) {
  REQUIRED.push(`dist/${entry}index.js`, `dist/${entry}index.d.ts`);
}
/** What must never be published. */
const FORBIDDEN = [
  [/^lib\//, 'lib/ (TypeScript sources)'],
  [/^test\//, 'test/'],
  [/^sample-app\//, 'sample-app/'],
  [/^scripts\//, 'scripts/'],
  [/^node_modules\//, 'node_modules/'],
  [/(^|\/)\.env(\.|$)/, '.env files'],
  [/\.pem$/, '*.pem'],
  [/\.key$/, '*.key'],
  [/\.tsbuildinfo$/, '*.tsbuildinfo'],
  [/\.tgz$/, '*.tgz'],
];

// ---------------------------------------------------------------------------------------
// Bookkeeping

/** @type {{ name: string, status: 'PASS' | 'FAIL' | 'WARN', detail: string }[]} */
const results = [];
function record(status, name, detail = '') {
  results.push({ name, status, detail });
  console.log(`${status.padEnd(5)} ${name}${detail === '' ? '' : `\n      ${detail.split('\n').join('\n      ')}`}`);
}
const pass = (name, detail) => record('PASS', name, detail);
const fail = (name, detail) => record('FAIL', name, detail);
const warn = (name, detail) => record('WARN', name, detail);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
function heading(text) {
  console.log(`\n== ${text} (${seconds(Date.now() - started)})`);
}

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/**
 * Runs a command without a shell; never rejects.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, ms: number, error?: Error }>}
 */
function run(command, args, { cwd = root, env = {}, timeoutMs = 300_000 } = {}) {
  const t0 = Date.now();
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n[smoke] killed after ${seconds(timeoutMs)}`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code: null, signal: null, stdout, stderr, ms: Date.now() - t0, error });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
const output = (r) => `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`.trim();
const tail = (text, lines = 40) => text.split('\n').slice(-lines).join('\n');

let tmp = '';
function cleanUp() {
  for (const child of children) child.kill('SIGKILL');
  if (tmp === '') return;
  if (keep) {
    console.log(`\n(SMOKE_KEEP=1: kept ${tmp})`);
  } else {
    rmSync(tmp, { recursive: true, force: true });
  }
  tmp = '';
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`\n[smoke] ${signal}: cleaning up`);
    cleanUp();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------
// 1. Build and pack

async function buildIfNeeded() {
  if (existsSync(join(root, 'dist', 'index.js'))) {
    pass('dist/ present (not rebuilt)');
    return true;
  }
  const r = await run('npm', ['run', 'build'], { timeoutMs: 300_000 });
  if (r.code !== 0) {
    fail('npm run build', tail(output(r)));
    return false;
  }
  pass('npm run build', seconds(r.ms));
  return true;
}

async function pack() {
  const r = await run('npm', ['pack', '--pack-destination', tmp, '--json', '--loglevel=error'], { timeoutMs: 120_000 });
  if (r.code !== 0) {
    fail('npm pack', tail(output(r)));
    return undefined;
  }
  let filename;
  try {
    filename = JSON.parse(r.stdout)[0].filename;
  } catch {
    filename = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  }
  const tarball = filename === undefined ? undefined : join(tmp, filename);
  if (tarball === undefined || !existsSync(tarball)) {
    fail('npm pack', `no .tgz in ${tmp}\n${tail(output(r))}`);
    return undefined;
  }
  pass('npm pack', `${filename}, ${(statSync(tarball).size / 1024).toFixed(1)} KiB`);
  return tarball;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );
}

/** Every string target of an `exports` map (conditions flattened). */
function exportTargets(exportsField, key = '.') {
  if (typeof exportsField === 'string') return [[key, exportsField]];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  return Object.entries(exportsField).flatMap(([k, v]) => exportTargets(v, k.startsWith('.') ? k : key));
}

async function checkTarball(tarball) {
  const list = await run('tar', ['-tzf', tarball], { timeoutMs: 60_000 });
  if (list.code !== 0) {
    fail('list tarball (tar -tzf)', tail(output(list)));
    return false;
  }
  const entries = list.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''));
  const present = new Set(entries);
  let ok = true;

  const missing = REQUIRED.filter((path) => !present.has(path));
  if (missing.length === 0) pass('tarball holds every entry point (.js and .d.ts)', `${entries.length} files`);
  else {
    ok = false;
    fail('tarball holds every entry point (.js and .d.ts)', `missing: ${missing.join(', ')}`);
  }

  const forbidden = entries.filter((path) => FORBIDDEN.some(([pattern]) => pattern.test(path)));
  if (forbidden.length === 0) {
    pass(`tarball holds none of: ${FORBIDDEN.map(([, what]) => what).join(', ')}`);
  } else {
    ok = false;
    fail('tarball holds files that must not be published', forbidden.slice(0, 30).join('\n'));
  }

  const extracted = join(tmp, 'extracted');
  mkdirSync(extracted);
  const x = await run('tar', ['-xzf', tarball, '-C', extracted], { timeoutMs: 60_000 });
  if (x.code !== 0) {
    fail('extract tarball', tail(output(x)));
    return false;
  }
  const pkgDir = join(extracted, 'package');
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

  const targets = exportTargets(manifest.exports).filter(([, target]) => !target.includes('*'));
  const badTargets = targets.filter(([, target]) => !present.has(target.replace(/^\.\//, '')));
  if (badTargets.length === 0) pass('every "exports" target is in the tarball', `${targets.length} targets`);
  else {
    ok = false;
    fail('every "exports" target is in the tarball', badTargets.map(([k, t]) => `${k} -> ${t}`).join('\n'));
  }

  // Not fatal, but worth knowing: things `files` asks for that did not make it, and source
  // maps whose `sources` point at files that are not published.
  const asked = (manifest.files ?? []).filter((f) => !f.startsWith('!') && !f.includes('*') && f !== 'dist');
  const absent = asked.filter((f) => !present.has(f));
  if (absent.length > 0) warn('"files" names files that are not in the tarball', absent.join(', '));

  const maps = walk(pkgDir).filter((f) => f.endsWith('.map'));
  const dangling = new Set();
  for (const map of maps) {
    let sources = [];
    try {
      const parsed = JSON.parse(readFileSync(map, 'utf8'));
      if (Array.isArray(parsed.sourcesContent) && parsed.sourcesContent.every((s) => typeof s === 'string')) continue;
      sources = parsed.sources ?? [];
    } catch {
      dangling.add(`${relative(pkgDir, map)} (not JSON)`);
      continue;
    }
    for (const source of sources) {
      const target = resolve(dirname(map), source);
      if (!existsSync(target)) dangling.add(relative(pkgDir, target).split(sep).join('/'));
    }
  }
  if (dangling.size > 0) {
    warn(
      `${maps.length} source maps point at ${dangling.size} files that are not published`,
      `e.g. ${[...dangling].slice(0, 3).join(', ')}: debuggers and bundlers' source-map loaders cannot ` +
        'show them (fix: "inlineSources": true or "sourceMap": false in tsconfig.build.json, or publish lib/)',
    );
  }
  return ok;
}

// ---------------------------------------------------------------------------------------
// 2. Throwaway apps

const repoTsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
function repoTypescriptVersion() {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

const COMPILER_COMMON = {
  target: 'es2022',
  lib: ['es2023'],
  rootDir: 'src',
  outDir: 'dist',
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  types: ['node'],
};

const APPS = [
  {
    name: 'nest11-cjs',
    nestMajor: 11,
    moduleSystem: 'commonjs',
    packageJson: {},
    tsconfig: {
      // The classic CommonJS Nest tsconfig: `module: commonjs` and no `moduleResolution`,
      // which TypeScript 6 then takes as `bundler` (reads "exports"; TypeScript 5 took
      // `node10`, see the last extra type-check).
      compilerOptions: { ...COMPILER_COMMON, module: 'commonjs', esModuleInterop: true },
      include: ['src'],
    },
    // Type-checked only, with the same source and packages.
    extraTypechecks: [
      {
        name: 'Nest 11 starter tsconfig (`nest new`: module nodenext in a CommonJS package)',
        file: 'tsconfig.nodenext.json',
        severity: 'fail',
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          resolvePackageJsonExports: true,
          esModuleInterop: true,
          isolatedModules: true,
        },
      },
      {
        // What a Nest 11 app on TypeScript 5.x with `module: commonjs` gets by default.
        // node10 ignores "exports", so it finds our types only through top-level
        // "types" + "typesVersions"; a warning, not a failure, while the package has none.
        name: 'legacy resolution (module commonjs + moduleResolution node10, the TypeScript 5 default)',
        file: 'tsconfig.node10.json',
        severity: 'warn',
        hint:
          'fix: add to package.json "types": "./dist/index.d.ts" and "typesVersions": { "*": { ' +
          '"nest": ["./dist/nest/index.d.ts"], "express": ["./dist/express/index.d.ts"], ' +
          '"testing": ["./dist/testing/index.d.ts"] } }, or document that such apps need ' +
          '`moduleResolution: node16`/`nodenext` (TypeScript >= 5.8) or TypeScript 6',
        compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', esModuleInterop: true },
      },
    ],
    importPattern: /require\("zitadel-resource-server\/nest"\)/,
    importDescription: 'require("zitadel-resource-server/nest") (require(esm))',
  },
  {
    name: 'nest12-esm',
    nestMajor: 12,
    moduleSystem: 'esm',
    packageJson: { type: 'module' },
    tsconfig: {
      compilerOptions: { ...COMPILER_COMMON, module: 'nodenext', moduleResolution: 'nodenext' },
      include: ['src'],
    },
    importPattern: /from ['"]zitadel-resource-server\/nest['"]/,
    importDescription: "import ... from 'zitadel-resource-server/nest'",
  },
];

function writeApp(app, tarball, ownTypescript) {
  const dir = join(tmp, app.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const major = `^${app.nestMajor}.0.0`;
  const packageJson = {
    name: `smoke-${app.name}`,
    version: '0.0.0',
    private: true,
    ...app.packageJson,
    dependencies: {
      '@nestjs/common': major,
      '@nestjs/core': major,
      '@nestjs/platform-express': major,
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
      'zitadel-resource-server': `file:${tarball}`,
    },
    devDependencies: {
      '@types/node': '^20.19.0',
      ...(ownTypescript ? { typescript: TYPESCRIPT } : {}),
    },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(app.tsconfig, null, 2)}\n`);
  for (const extra of app.extraTypechecks ?? []) {
    const tsconfig = { compilerOptions: { ...COMPILER_COMMON, ...extra.compilerOptions, noEmit: true }, include: ['src'] };
    writeFileSync(join(dir, extra.file), `${JSON.stringify(tsconfig, null, 2)}\n`);
  }
  writeFileSync(join(dir, 'src', 'main.ts'), readFileSync(join(templateDir, 'main.ts.tmpl'), 'utf8'));
  return dir;
}

async function install(app, dir) {
  const r = await run('npm', ['install', ...INSTALL_FLAGS], { cwd: dir, timeoutMs: 600_000 });
  if (r.code !== 0) {
    fail(`[${app.name}] npm install`, tail(output(r)));
    return false;
  }
  pass(`[${app.name}] npm install`, seconds(r.ms));
  return true;
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(readFileSync(join(dir, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

async function exerciseApp(app, dir, tsc) {
  const label = app.name;
  const versions = ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', 'zitadel-resource-server']
    .map((name) => `${name}@${installedVersion(dir, name)}`)
    .join(', ');
  const core = installedVersion(dir, '@nestjs/core') ?? '';
  if (core.split('.')[0] === String(app.nestMajor)) pass(`[${label}] Nest ${app.nestMajor} installed`, versions);
  else fail(`[${label}] Nest ${app.nestMajor} installed`, versions);

  // One copy of Nest only: a second one (e.g. nested under our package) breaks DI.
  const nested = join(dir, 'node_modules', 'zitadel-resource-server', 'node_modules', '@nestjs');
  if (existsSync(nested)) fail(`[${label}] single copy of @nestjs/*`, `nested copy at ${nested}`);

  for (const extra of app.extraTypechecks ?? []) {
    const r = await run(process.execPath, [tsc, '-p', extra.file], { cwd: dir, timeoutMs: 180_000 });
    const name = `[${label}] type-checks with the ${extra.name}`;
    if (r.code === 0) pass(name, seconds(r.ms));
    else (extra.severity === 'warn' ? warn : fail)(name, [tail(output(r), 12), extra.hint ?? ''].filter(Boolean).join('\n'));
  }

  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 180_000 });
  if (compiled.code !== 0) {
    fail(`[${label}] tsc (module ${app.tsconfig.compilerOptions.module})`, tail(output(compiled)));
    return;
  }
  pass(`[${label}] tsc (module ${app.tsconfig.compilerOptions.module})`, seconds(compiled.ms));

  const emitted = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
  const loads = `[${label}] emitted code loads the package with ${app.importDescription}`;
  if (app.importPattern.test(emitted)) pass(loads);
  else fail(loads, emitted.slice(0, 1500));

  const r = await run(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: { SMOKE_LABEL: label, SMOKE_EXPECT_MODULE: app.moduleSystem, NODE_OPTIONS: '' },
    timeoutMs: 90_000,
  });
  const lines = r.stdout.split('\n').filter((line) => line !== '');
  for (const line of lines) console.log(`      | ${line}`);
  const failed = lines.filter((line) => line.startsWith('FAIL'));
  const checks = lines.filter((line) => line.startsWith('ok') || line.startsWith('FAIL'));
  if (r.code === 0 && failed.length === 0 && checks.length >= 7) {
    pass(`[${label}] app: ${checks.length} checks against the running app`, seconds(r.ms));
  } else {
    fail(
      `[${label}] app run (exit ${r.code ?? r.signal})`,
      [...failed, tail(r.stderr, 30), r.error ? String(r.error) : ''].filter(Boolean).join('\n'),
    );
  }
  const warnings = r.stderr.split('\n').filter((line) => /Warning/.test(line));
  if (warnings.length > 0) warn(`[${label}] Node printed warnings`, warnings.join('\n'));
}

// ---------------------------------------------------------------------------------------
// 2b. A Fastify 5 app (ESM, module nodenext) with the ./fastify plugin, and a CommonJS
// script beside it that require()s the plugin: self-contained, it shares only install() with
// the Nest apps.

const FASTIFY_APP = { name: 'fastify5-esm' };

function writeFastifyApp(tarball, ownTypescript) {
  const dir = join(tmp, FASTIFY_APP.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const packageJson = {
    name: `smoke-${FASTIFY_APP.name}`,
    version: '0.0.0',
    private: true,
    type: 'module',
    dependencies: { fastify: '^5.0.0', 'fastify-plugin': '^5.0.0 || ^6.0.0', 'zitadel-resource-server': `file:${tarball}` },
    devDependencies: { '@types/node': '^20.19.0', ...(ownTypescript ? { typescript: TYPESCRIPT } : {}) },
  };
  const tsconfig = { compilerOptions: { ...COMPILER_COMMON, module: 'nodenext', moduleResolution: 'nodenext' }, include: ['src'] };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  writeFileSync(join(dir, 'src', 'main.ts'), readFileSync(join(templateDir, 'fastify.ts.tmpl'), 'utf8'));
  writeFileSync(join(dir, 'require.cjs'), readFileSync(join(templateDir, 'fastify-require.cjs.tmpl'), 'utf8'));
  return dir;
}

async function exerciseFastifyApp(dir, tsc) {
  const label = FASTIFY_APP.name;
  const versions = ['fastify', 'fastify-plugin', 'zitadel-resource-server'].map((name) => `${name}@${installedVersion(dir, name)}`).join(', ');
  if ((installedVersion(dir, 'fastify') ?? '').startsWith('5.')) pass(`[${label}] Fastify 5 installed`, versions);
  else fail(`[${label}] Fastify 5 installed`, versions);
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 180_000 });
  if (compiled.code !== 0) {
    fail(`[${label}] tsc (module nodenext; request.auth and config.auth typed)`, tail(output(compiled)));
    return;
  }
  pass(`[${label}] tsc (module nodenext; request.auth and config.auth typed)`, seconds(compiled.ms));
  const env = { SMOKE_LABEL: label, NODE_OPTIONS: '' };
  const r = await run(process.execPath, ['dist/main.js'], { cwd: dir, env, timeoutMs: 90_000 });
  const cjs = await run(process.execPath, ['require.cjs'], { cwd: dir, env, timeoutMs: 60_000 });
  const lines = `${r.stdout}\n${cjs.stdout}`.split('\n').filter((line) => line !== '');
  for (const line of lines) console.log(`      | ${line}`);
  const failed = lines.filter((line) => line.startsWith('FAIL'));
  const checks = lines.filter((line) => line.startsWith('ok') || line.startsWith('FAIL'));
  if (r.code === 0 && cjs.code === 0 && failed.length === 0 && checks.length >= 4) pass(`[${label}] app (ESM) and require.cjs: ${checks.length} checks`, seconds(r.ms + cjs.ms));
  else fail(`[${label}] app run (exit ${r.code ?? r.signal}, require.cjs exit ${cjs.code ?? cjs.signal})`, [...failed, tail(r.stderr, 30), tail(cjs.stderr, 10)].filter(Boolean).join('\n'));
}

// ---------------------------------------------------------------------------------------
// 3. publint and @arethetypeswrong/cli

async function lint(tarball) {
  const [publint, attw] = await Promise.all([
    run('npx', ['--yes', PUBLINT, 'run', tarball, '--strict'], { cwd: tmp, timeoutMs: 300_000 }),
    // --profile esm-only: skips node10 and "require() from CommonJS" resolution, which an
    // ESM-only package cannot (node10) or, per attw's bundled TypeScript, does not support.
    run('npx', ['--yes', '-p', ATTW, 'attw', tarball, '--profile', 'esm-only', '--format', 'table-flipped', '--no-color'], {
      cwd: tmp,
      timeoutMs: 300_000,
      env: { FORCE_COLOR: '0' },
    }),
  ]);
  return () => {
    heading(`publint (${PUBLINT})`);
    console.log(output(publint).replace(/^/gm, '      | '));
    if (publint.code === 0) pass('publint --strict', seconds(publint.ms));
    else fail('publint --strict', `exit ${publint.code ?? publint.signal}; see output above`);

    heading(`@arethetypeswrong/cli (${ATTW}) --profile esm-only`);
    console.log(output(attw).replace(/^/gm, '      | '));
    if (attw.code === 0) pass('attw --profile esm-only', seconds(attw.ms));
    else fail('attw --profile esm-only', `exit ${attw.code ?? attw.signal}; see output above`);
  };
}

// ---------------------------------------------------------------------------------------

async function main() {
  console.log(`zitadel-resource-server packaging smoke test (node ${process.version})`);
  tmp = mkdtempSync(join(tmpdir(), 'zrs-smoke-'));

  heading('build and pack');
  if (!(await buildIfNeeded())) return;
  const tarball = await pack();
  if (tarball === undefined) return;
  heading('tarball contents');
  await checkTarball(tarball);

  heading('install apps (in parallel) and lint');
  const tsVersion = repoTypescriptVersion();
  const ownTypescript = tsVersion === undefined;
  const tscOf = (dir) => (ownTypescript ? join(dir, 'node_modules', 'typescript', 'bin', 'tsc') : repoTsc);
  console.log(
    ownTypescript
      ? `      (no node_modules/typescript in the repo: each app installs typescript@${TYPESCRIPT})`
      : `      (compiling with the repo's typescript@${tsVersion})`,
  );
  const dirs = APPS.map((app) => writeApp(app, tarball, ownTypescript));
  const fastifyDir = writeFastifyApp(tarball, ownTypescript);
  const recipes = RECIPES.map((recipe) => writeRecipe(recipe, tmp, tarball));
  const [installed, report, fastifyInstalled, recipesInstalled] = await Promise.all([
    Promise.all(APPS.map((app, i) => install(app, dirs[i]))),
    lint(tarball),
    install(FASTIFY_APP, fastifyDir),
    Promise.all(RECIPES.map((recipe, i) => install(recipe, recipes[i].dir))),
  ]);

  for (const [i, app] of APPS.entries()) {
    heading(`${app.name}: Nest ${app.nestMajor}, ${app.moduleSystem}`);
    if (installed[i]) await exerciseApp(app, dirs[i], tscOf(dirs[i]));
    else fail(`[${app.name}] skipped: install failed`);
  }
  heading(`${FASTIFY_APP.name}: Fastify 5, esm`);
  if (fastifyInstalled) await exerciseFastifyApp(fastifyDir, tscOf(fastifyDir));
  else fail(`[${FASTIFY_APP.name}] skipped: install failed`);

  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const ctx = { run, pass, fail, warn, tail, output, seconds };
  for (const [i, recipe] of RECIPES.entries()) {
    heading(`recipe ${recipe.name}: ${recipe.title}`);
    if (recipesInstalled[i]) await exerciseRecipe(recipe, recipes[i].dir, recipes[i].range, version, ctx);
    else fail(`[${recipe.name}] skipped: install failed`);
  }
  report();
}

let crashed;
try {
  await main();
} catch (error) {
  crashed = error;
  fail('smoke script crashed', error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  cleanUp();
}

const failed = results.filter((r) => r.status === 'FAIL');
const warned = results.filter((r) => r.status === 'WARN');
const passed = results.filter((r) => r.status === 'PASS');
console.log(`\n== summary (${seconds(Date.now() - started)})`);
for (const r of results) console.log(`${r.status.padEnd(5)} ${r.name}`);
console.log(`\n${warned.length} warning(s)`);
console.log(`smoke: ${passed.length} passed, ${failed.length} failed`);
process.exitCode = failed.length === 0 && crashed === undefined && passed.length > 0 ? 0 : 1;
