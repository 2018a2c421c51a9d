// `npm start` end to end: builds (if stale) and runs the sample app with the embedded dev
// issuer in a child process, as a user would. Spawning node on the built files keeps
// the sample app out of Jest's transform (it imports this package by its name).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const START = fileURLToPath(new URL('../../scripts/start.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT_MS = 90_000;
const METHODS = ['private key JWT', 'client credentials', 'personal access token'] as const;

interface Run {
  readonly child: ChildProcess;
  readonly output: () => { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

function start(args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // Always the embedded issuer, on any free port.
  for (const name of Object.keys(env)) if (name.startsWith('ZITADEL_')) delete env[name];
  delete env.PORT;
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [START, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

async function waitFor(run: Run, pattern: RegExp): Promise<RegExpExecArray> {
  // Checked on every chunk of output (no polling), until the child exits or the deadline.
  return new Promise((resolve, reject) => {
    const fail = () => {
      cleanup();
      reject(new Error(`no ${String(pattern)} in the output:\n${run.output().stdout}\n${run.output().stderr}`));
    };
    const check = () => {
      const match = pattern.exec(run.output().stdout);
      if (!match) return;
      cleanup();
      resolve(match);
    };
    const timer = setTimeout(fail, TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      run.child.stdout?.off('data', check);
      run.child.off('exit', fail);
    };
    // Registered after start()'s own listener: the output already holds this chunk.
    run.child.stdout?.on('data', check);
    run.child.once('exit', fail);
    check();
    if (run.child.exitCode !== null) fail();
  });
}

/** The table rows of one method: `| <method> | <token> | <verified by> | <request> | <status> | <why> |`. */
/** The demo's temp dirs (they hold the API application key file while it runs). */
function keyDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('zitadel-rs-demo-'));
}

function rowsOf(stdout: string, method: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`| ${method} `))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

describe('npm start (the sample app demo)', () => {
  const dirsBefore = keyDirs();
  const leftBehind = (): string[] => keyDirs().filter((name) => !dirsBefore.includes(name));

  it(
    'calls the API as service users with each method, gets the expected statuses, and exits 0',
    async () => {
      const run = start([]);
      const code = await run.exited;
      const { stdout, stderr } = run.output();
      if (code !== 0) throw new Error(`exit code ${String(code)}\n${stdout}\n${stderr}`);

      for (const method of METHODS) {
        const statuses = rowsOf(stdout, method).map((row) => row[4]);
        expect(statuses.filter((status) => status === '200' || status === '201').length).toBeGreaterThanOrEqual(1);
        expect(statuses).toContain('403');
        expect(statuses).toContain('401');
      }
      const jwtRows = rowsOf(stdout, 'private key JWT');
      expect(jwtRows.filter((row) => row[1] === 'jwt' && row[2] === 'jwks').length).toBeGreaterThanOrEqual(2);
      for (const method of ['client credentials', 'personal access token']) {
        expect(rowsOf(stdout, method).every((row) => row[1] === 'opaque' && row[2] === 'introspection')).toBe(true);
      }
      expect(stdout).toMatch(/Missing role: one of orders\.read in organization 100000000000000002/);
      expect(stdout).toMatch(/^OK: 11\/11 calls answered as expected/m);

      // Audit events were reported, one line per call.
      expect(stdout).toMatch(/^Audit events of these calls \(11\):/m);
      expect(stdout).toMatch(/deny +403 +GET \/api\/orgs\/:orgId\/orders +ERR_ROLE_INSUFFICIENT +sub=310000000000000001/);

      // No token in the table or the audit lines (JWTs start with eyJ; opaque tokens are
      // 40+ base64url characters of letters and digits; ids are digits only, and ZITADEL's
      // token ids — the audit's tokenId — are V2_<digits>-at_<digits>).
      expect(stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
      expect(stdout.replace(/\bV2_\d{18}-at_\d{18}\b/g, '<token id>')).not.toMatch(/(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{40,}/);
      // No ANSI colours when stdout is not a terminal.
      expect(stdout).not.toContain('\u001b[');
      expect(leftBehind()).toEqual([]);
    },
    TIMEOUT_MS + 5000,
  );

  it(
    '--serve prints working curl commands and stops cleanly on SIGINT',
    async () => {
      const run = start(['--serve']);
      try {
        await waitFor(run, /Ctrl-C stops/);
        const { stdout } = run.output();
        const token = /^TOKEN_CLIENT_CREDENTIALS='([^']+)'$/m.exec(stdout)?.[1];
        const url = /^curl -si -H "Authorization: Bearer \$TOKEN_CLIENT_CREDENTIALS" (http:\/\/127\.0\.0\.1:\d+\/api\/orgs\/\d+\/orders)$/m.exec(stdout)?.[1];
        expect(token).toBeDefined();
        expect(url).toBeDefined();
        const response = await fetch(url!, { headers: { authorization: `Bearer ${token!}` } });
        expect(response.status).toBe(200);
        await waitFor(run, /^\{"version":1,.*"decision":"allow"/m);
        expect(leftBehind()).toHaveLength(1);

        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
        expect(run.output().stdout).toMatch(/stopping/);
        expect(leftBehind()).toEqual([]);
      } finally {
        run.child.kill('SIGKILL');
      }
    },
    TIMEOUT_MS + 5000,
  );

  it('refuses unknown options with exit code 2', async () => {
    const run = start(['--nope']);
    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toMatch(/unknown option: --nope/);
  });
});
