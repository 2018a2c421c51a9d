/**
 * Jest's test order, with one change for runners (test/support/specs.ts). Jest runs the
 * slowest files first, by the durations of the last run; without them (a fresh clone) the
 * biggest files first. A runner (`all.test.ts`) is a few lines that import its directory's
 * specs: it weighs here what those specs weigh, so that it is not left for last.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Sequencer from '@jest/test-sequencer';

/** Bytes of the specs a runner in `dir` imports (the walk of specs.ts's specFiles). */
function specBytes(dir, top = true) {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (!top && entries.some((entry) => entry.name === 'all.test.ts')) return 0;
  let bytes = 0;
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.spec.ts')) bytes += statSync(join(dir, entry.name)).size;
    else if (entry.isDirectory() && !entry.name.startsWith('.')) bytes += specBytes(join(dir, entry.name), false);
  }
  return bytes;
}

export default class RunnerAwareSequencer extends (Sequencer.default ?? Sequencer) {
  sort(tests) {
    const weights = new Map();
    const weight = (test) => {
      if (!weights.has(test.path)) {
        weights.set(test.path, basename(test.path) === 'all.test.ts' ? specBytes(dirname(test.path)) : statSync(test.path).size);
      }
      return weights.get(test.path);
    };
    for (const test of tests) test.duration = this.time(test);
    return tests.sort((a, b) => {
      const failedA = this.hasFailed(a);
      if (failedA !== this.hasFailed(b)) return failedA ? -1 : 1;
      const timedA = a.duration != null;
      if (timedA !== (b.duration != null)) return timedA ? 1 : -1;
      if (timedA) return b.duration - a.duration;
      return weight(b) - weight(a);
    });
  }
}
