/**
 * Every TypeScript block of the README compiles, under the project's strict settings, as a
 * user would paste it: imported by package name (mapped to lib/), with the imports and
 * values a fragment takes for granted (see snippet-context.ts).
 *
 * Blocks fenced ```ts recipe=<app>/<file> are files of the testing recipes' apps (they import
 * their neighbours): they are left out here, compiled in their own apps by the packaging smoke
 * test (scripts/smoke/recipes.mjs), and readme.test.ts checks that they are those files verbatim.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AMBIENT, IMPLICIT_IMPORTS } from './snippet-context.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = fileURLToPath(new URL('./.blocks/', import.meta.url));
/** The type check runs in a plain Node process (see compile-blocks.mjs). */
const CHECKER = fileURLToPath(new URL('./compile-blocks.mjs', import.meta.url));
const run = promisify(execFile);

function readmeBlocks(): { code: string; line: number }[] {
  const lines = readFileSync(`${root}README.md`, 'utf8').split('\n');
  const blocks: { code: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i] !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end += 1;
    blocks.push({ code: lines.slice(start, end).join('\n'), line: start + 1 });
    i = end;
  }
  return blocks;
}

/** The `@example` sections of the TSDoc in lib/ (the code between `@example` and the next tag). */
function tsdocExamples(): { code: string; line: number; file: string }[] {
  const examples: { code: string; line: number; file: string }[] = [];
  const files = readdirSync(`${root}lib`, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `${root}lib/${name}`);
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      if (!/^\s*\*\s*@example\s*$/.test(lines[i]!)) continue;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j += 1) {
        const line = lines[j]!;
        if (/^\s*\*\//.test(line) || /^\s*\*\s*@\w+/.test(line)) break;
        const text = line.replace(/^\s*\* ?/, '');
        if (!text.startsWith('```')) body.push(text);
      }
      examples.push({ code: body.join('\n'), line: i + 2, file: file.slice(root.length) });
      i = j - 1;
    }
  }
  return examples;
}

/** Every name each public subpath exports, as the import a user would write. */
function publicExports(): Record<string, string> {
  const imports: Record<string, string> = {};
  for (const [subpath, file] of [['', 'lib/index.ts'], ...['nest', 'express', 'redis', 'testing', 'client', 'fastify'].map((sub) => [`/${sub}`, `lib/${sub}/index.ts`])]) {
    let text: string;
    try {
      text = readFileSync(`${root}${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
      for (const name of match[2]!.split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!).filter(Boolean)) {
        imports[name] ??= `import ${match[1] ? 'type ' : ''}{ ${name} } from 'zitadel-resource-server${subpath}';`;
      }
    }
  }
  return imports;
}

/** Names a lib/ file exports itself (for examples of internal helpers), imported from the file. */
function ownExports(file: string): Record<string, string> {
  const imports: Record<string, string> = {};
  const text = readFileSync(`${root}${file}`, 'utf8');
  for (const match of text.matchAll(/^export\s+(?:abstract\s+)?(function|class|const|type|interface)\s+(\w+)/gm)) {
    const type = match[1] === 'type' || match[1] === 'interface' ? 'type ' : '';
    imports[match[2]!] = `import ${type}{ ${match[2]} } from '${root}${file.replace(/\.ts$/, '.js')}';`;
  }
  return imports;
}

const PUBLIC = publicExports();

function withContext(code: string, file?: string): string {
  const imported = new Set([...code.matchAll(/import\s+(?:type\s+)?(?:\{([^}]*)\}|(\w+))/g)].flatMap((m) => (m[1] ?? m[2] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!)));
  const available = { ...PUBLIC, ...(file === undefined ? {} : ownExports(file)), ...IMPLICIT_IMPORTS };
  const extra = Object.entries(available)
    .filter(([name]) => !imported.has(name) && new RegExp(`(?<![\\w.'"])${name}\\b`).test(code))
    .map(([, statement]) => statement);
  const header = [...new Set(extra)].join('\n');
  if (file === undefined) return `${header}\n${code}\nexport {};\n`;
  // A TSDoc example is a fragment of a function body: its imports go on top, the rest inside.
  const lines = code.split('\n');
  const importLines = lines.filter((line) => /^import\s/.test(line));
  const body = lines.filter((line) => !/^import\s/.test(line));
  return `${header}\n${importLines.join('\n')}\nexport async function example(): Promise<unknown> {\n${body.join('\n')}\nreturn undefined;\n}\n`;
}

describe('README code blocks and TSDoc examples', () => {
  const blocks: { code: string; name: string; file?: string }[] = [
    ...readmeBlocks().map((block) => ({ ...block, name: `readme-line-${block.line}` })),
    ...tsdocExamples().map((example) => ({ ...example, name: `${example.file.replace(/[/.]/g, '_')}-line-${example.line}` })),
  ];

  it('are there', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it('leave out only the recipe blocks (```ts recipe=…), which the smoke test compiles in their apps', () => {
    const fences = readFileSync(`${root}README.md`, 'utf8').split('\n').filter((line) => /^```\s*(ts|typescript|tsx|mts|cts)\b/i.test(line));
    expect(fences.filter((line) => line !== '```ts' && !/^```ts recipe=\S+$/.test(line))).toEqual([]);
    expect(fences.filter((line) => line.startsWith('```ts recipe=')).length).toBeGreaterThanOrEqual(1);
  });

  it('compile under the strict settings', async () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}ambient.d.ts`, AMBIENT);
    const files = blocks.map((block, index) => {
      const file = `${out}${String(index + 1).padStart(3, '0')}-${block.name}.ts`;
      writeFileSync(file, withContext(block.code, block.file));
      return file;
    });
    // A canary: proves that a wrong block is reported (the test can fail).
    writeFileSync(`${out}canary.ts`, withContext("const caller = await createResourceServer({ issuer, audience }).authenticate(42);"));
    const { stdout } = await run(process.execPath, [CHECKER, root, out, `${out}ambient.d.ts`, `${out}canary.ts`, ...files], { maxBuffer: 16 * 1024 * 1024 });
    const problems = JSON.parse(stdout) as string[];
    expect(problems.filter((p) => p.startsWith('canary.ts'))).toEqual([
      "canary.ts:2 TS2345: Argument of type '42' is not assignable to parameter of type 'string | BearerRequest | undefined'.",
    ]);
    expect(problems.filter((p) => !p.startsWith('canary.ts'))).toEqual([]);
  }, 120_000); // about 10 s of CPU for the type check: past the default 20 s when the machine is busy

});
