/**
 * One Jest file per directory. A directory's behaviours are its `*.spec.ts` files (each
 * what a test file would be: its describes, its hooks inside them); its `all.test.ts` runs
 * them, and those of its subdirectories that have no `all.test.ts` of their own, with
 *
 *   await runSpecs(import.meta.url);
 *
 * Why: Jest gives each test file a module registry of its own and, on native ESM, loads and
 * links every module again per file; on this project's 2 cores that costs 1.5-3 s per file
 * that boots Nest, GraphQL, Fastify or oidc-provider, and 0.2-0.4 s per file for lib/ alone.
 * The specs of one runner share a registry, so each loads once per runner.
 *
 * What the specs of one runner share, then: module state (lib/'s process-wide
 * `keys: 'shared'` key, @opentelemetry/api's globals, Nest's metadata on classes each spec
 * defines for itself). A spec keeps its hooks inside a describe, restores what it changes
 * (the clock it injects, globals, the working directory), and uses port 0.
 *
 * A single spec: `npx jest test/e2e -t 'JWKS handling'` (the others load, their tests skip).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `*.spec.ts` files a runner in `dir` runs, sorted: its own, then its subdirectories'. */
export function specFiles(dir: string, top = true): string[] {
  if (!top && existsSync(join(dir, 'all.test.ts'))) return [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...entries.filter((entry) => entry.isFile() && entry.name.endsWith('.spec.ts')).map((entry) => join(dir, entry.name)),
    ...entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).flatMap((entry) => specFiles(join(dir, entry.name), false)),
  ];
}

/** Imports the specs of the runner at `runnerUrl` (its `import.meta.url`), in order. */
export async function runSpecs(runnerUrl: string): Promise<void> {
  const files = specFiles(dirname(fileURLToPath(runnerUrl)));
  if (files.length === 0) throw new Error(`no *.spec.ts next to ${runnerUrl}`);
  for (const file of files) await import(file);
}
