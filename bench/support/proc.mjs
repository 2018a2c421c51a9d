// Small readers of /proc (Linux): peak RSS, CPU ticks of a process, machine-wide busy ticks.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** USER_HZ: /proc tick unit (100 on every mainstream Linux build). */
export const CLK_TCK = 100;

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `VmHWM` (peak resident set) and `VmRSS` of a process, in bytes; undefined if unreadable. */
export function memoryOf(pid) {
  const status = read(`/proc/${pid}/status`);
  if (status === undefined) return undefined;
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
  return { vmHWM: kb('VmHWM'), vmRSS: kb('VmRSS') };
}

/** utime + stime of a process (all its threads), in ticks. */
export function cpuTicksOf(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy ticks of the whole machine (all cores), from the first line of /proc/stat. */
export function machineBusyTicks() {
  const line = read('/proc/stat')?.split('\n', 1)[0];
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + (steal ?? 0);
}

/** CPU model, number of cores, load average. */
export function machine() {
  const cpuinfo = read('/proc/cpuinfo') ?? '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const loadavg = read('/proc/loadavg')?.split(' ').slice(0, 3).join(' ') ?? 'n/a';
  return { model, cores: cpus().length, loadavg };
}
