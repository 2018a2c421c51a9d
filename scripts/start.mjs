#!/usr/bin/env node
// `npm start`: build what is stale, then run the sample orders API with a demo client.
//
//   npm start               the demo: an embedded ZITADEL-like issuer, the API on 127.0.0.1,
//                           calls by service users (private key JWT, client credentials,
//                           PAT), a result table and the audit events; exit 0 when every
//                           call got the expected status
//   npm start -- --serve    keep issuer and API running; print curl commands with fresh tokens
//
// With ZITADEL_ISSUER (and the other variables of sample-app/README.md) set, the same app
// runs against that ZITADEL instance instead of the embedded issuer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const at = (...parts) => join(root, ...parts);

const USAGE = `usage: npm start [-- --serve]

  (no option)  run the demo calls, print a table and the audit events, exit 0 if all went as expected
  --serve      keep the issuer and the API running and print curl commands (Ctrl-C stops)

Environment: ZITADEL_ISSUER and friends to use a real ZITADEL instance (see sample-app/README.md);
PORT to choose the API port (default 3000 if free); NO_COLOR to disable colours.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--serve');
if (unknown.length > 0) {
  console.error(`unknown option: ${unknown.join(' ')}\n\n${USAGE}`);
  process.exit(2);
}
const serve = args.includes('--serve');

/** Newest modification time (ms) among files, walking directories; 0 when none exist. */
function newest(paths, extension) {
  let latest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry === 'node_modules' || entry === 'dist') continue;
        latest = Math.max(latest, newest([join(path, entry)], extension));
      }
    } else if (extension === undefined || path.endsWith(extension) || path.endsWith('.json')) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  }
  return latest;
}

/** True when an output is missing or older than the newest source. */
function stale(sources, outputs) {
  if (outputs.some((output) => !existsSync(output))) return true;
  const oldestOutput = Math.min(...outputs.map((output) => statSync(output).mtimeMs));
  return newest(sources, '.ts') > oldestOutput;
}

function run(what, command, commandArgs) {
  const started = performance.now();
  process.stdout.write(`${what} ... `);
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (result.status !== 0) {
    console.log('failed');
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
    process.exit(1);
  }
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const packageOutputs = [at('dist', 'index.js'), at('dist', 'index.d.ts'), at('dist', 'nest', 'index.js'), at('dist', 'nest', 'index.d.ts')];
if (stale([at('lib'), at('package.json'), at('tsconfig.json'), at('tsconfig.build.json')], packageOutputs)) {
  run('building the package (npm run build)', 'npm', ['run', 'build', '--silent']);
}

const sampleOutputs = [at('sample-app', 'dist', 'demo', 'run.js'), at('sample-app', 'dist', 'main.js'), at('sample-app', 'dist', 'dev-issuer', 'index.js')];
if (stale([at('sample-app', 'src'), at('sample-app', 'tsconfig.json'), ...packageOutputs.filter((p) => p.endsWith('.d.ts'))], sampleOutputs)) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  run('building the sample app (tsc -p sample-app/tsconfig.json)', process.execPath, [tsc, '-p', at('sample-app', 'tsconfig.json')]);
}

// oidc-provider 9 (the embedded issuer) warns that Node 20 is not its favourite runtime; it
// works on Node 20 (our CI runs it), and the line only confuses a first run. Every other
// warning still shows.
const warn = console.warn;
console.warn = (...parts) => {
  if (typeof parts[0] === 'string' && parts[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...parts);
};
const { runDemo } = await import(pathToFileURL(at('sample-app', 'dist', 'demo', 'run.js')).href);
process.exitCode = await runDemo({ serve });
// Everything is closed by now; should a stray handle remain, do not hang.
setTimeout(() => process.exit(), 2000).unref();
