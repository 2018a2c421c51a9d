// Child processes of the bench: servers (pinned to core 0) and helper steps.
import { spawn, spawnSync } from 'node:child_process';

let tasksetPath;
/** Path of `taskset`, or undefined when it is not installed. */
export function taskset() {
  if (tasksetPath === undefined) {
    const found = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' });
    tasksetPath = found.status === 0 ? found.stdout.trim() : '';
  }
  return tasksetPath || undefined;
}

/** Pins every thread of this process to `cpus` (e.g. '1'). Returns true when it worked. */
export function pinSelf(cpus) {
  const bin = taskset();
  if (!bin) return false;
  return spawnSync(bin, ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `node [nodeArgs] script` with an IPC channel, pinned to `cpus` when taskset exists
 * (taskset execs node: the pid is node's). Resolves with the child and the first message
 * of `type: readyType`. `stdout`: `'inherit'` (default), `'pipe'` — a pipe this process
 * reads and throws away, counting the bytes in `output.bytes` (a server's audit lines: never
 * on the bench console, and a pipe, as under a log shipper) — or `'ignore'` (/dev/null).
 */
export function startNode(script, { cpus, nodeArgs = [], env = {}, args = [], readyType = 'ready', timeoutMs = 30_000, stdout = 'inherit' } = {}) {
  const bin = taskset();
  const command = cpus && bin ? bin : process.execPath;
  const argv = [...(cpus && bin ? ['-c', cpus, process.execPath] : []), ...nodeArgs, script, ...args];
  const child = spawn(command, argv, {
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'bench', ...env },
  });
  const output = { bytes: 0 };
  child.stdout?.on('data', (chunk) => {
    output.bytes += chunk.length;
  });
  child.on('error', () => undefined); // spawn/IPC errors surface as "exited before ready"
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not report "${readyType}" within ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (message) => {
      if (message?.type === readyType) {
        clearTimeout(timer);
        resolve(message);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before reporting "${readyType}"`));
    });
  });
  return { child, ready, exited, output };
}

/** Asks a child to stop (IPC `stop` → exit 0), kills it if it does not within `graceMs`. */
export async function stopNode({ child, exited }, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  // A child that is already going away may close the channel under us: ignore that.
  if (child.connected) child.send({ type: 'stop' }, () => undefined);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}
