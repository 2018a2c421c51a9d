#!/usr/bin/env node
/**
 * `npm run typecheck:readme` (chained from `npm run typecheck`, after `npm run build`):
 * every TypeScript block of the README and every TSDoc `@example` in lib/ compiles, under
 * the project's strict settings, as a user would paste it: imported by package name, with
 * the imports and values a fragment takes for granted (see snippet-context.mjs). Exits 1
 * with one line per problem.
 *
 * The package is resolved to its built declarations (dist/*.d.ts), what a user's compiler
 * sees: this is a type check of about 90 files against Nest, Express and Fastify's types
 * (10-20 s of CPU), which is why it runs with typecheck and not in npm test.
 *
 * Blocks fenced ```ts recipe=<app>/<file> are files of the testing recipes' apps (they import
 * their neighbours): they are left out here, compiled in their own apps by the packaging smoke
 * test (scripts/smoke/recipes.mjs), and readme.test.ts checks that they are those files verbatim.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AMBIENT, IMPLICIT_IMPORTS } from './snippet-context.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = fileURLToPath(new URL('./.blocks/', import.meta.url));

/** @returns {{ code: string, line: number }[]} */
function readmeBlocks() {
  const lines = readFileSync(`${root}README.md`, 'utf8').split('\n');
  const blocks = [];
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

/** The lib/ sources, relative to lib/, sorted. */
function libFiles() {
  return readdirSync(`${root}lib`, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .sort();
}

/**
 * The `@example` sections of the TSDoc in lib/ (the code between `@example` and the next tag).
 * @returns {{ code: string, line: number, file: string }[]}
 */
function tsdocExamples() {
  const examples = [];
  for (const file of libFiles().map((name) => `lib/${name}`)) {
    const lines = readFileSync(`${root}${file}`, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += 1) {
      if (!/^\s*\*\s*@example\s*$/.test(lines[i])) continue;
      const body = [];
      let j = i + 1;
      for (; j < lines.length; j += 1) {
        const line = lines[j];
        if (/^\s*\*\//.test(line) || /^\s*\*\s*@\w+/.test(line)) break;
        const text = line.replace(/^\s*\* ?/, '');
        if (!text.startsWith('```')) body.push(text);
      }
      examples.push({ code: body.join('\n'), line: i + 2, file });
      i = j - 1;
    }
  }
  return examples;
}

/** Every name each public subpath exports, as the import a user would write. */
function publicExports() {
  /** @type {Record<string, string>} */
  const imports = {};
  for (const [subpath, file] of [['', 'lib/index.ts'], ...['nest', 'express', 'redis', 'testing', 'client', 'fastify'].map((sub) => [`/${sub}`, `lib/${sub}/index.ts`])]) {
    const text = readFileSync(`${root}${file}`, 'utf8');
    for (const match of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
      for (const name of match[2].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()).filter(Boolean)) {
        imports[name] ??= `import ${match[1] ? 'type ' : ''}{ ${name} } from 'zitadel-resource-server${subpath}';`;
      }
    }
  }
  return imports;
}

/** Names a lib/ file exports itself (for examples of internal helpers), imported from its build. */
function ownExports(file) {
  /** @type {Record<string, string>} */
  const imports = {};
  const text = readFileSync(`${root}${file}`, 'utf8');
  for (const match of text.matchAll(/^export\s+(?:abstract\s+)?(function|class|const|type|interface)\s+(\w+)/gm)) {
    const type = match[1] === 'type' || match[1] === 'interface' ? 'type ' : '';
    imports[match[2]] = `import ${type}{ ${match[2]} } from '${root}${file.replace(/^lib\//, 'dist/').replace(/\.ts$/, '.js')}';`;
  }
  return imports;
}

const PUBLIC = publicExports();

function withContext(code, file) {
  const imported = new Set([...code.matchAll(/import\s+(?:type\s+)?(?:\{([^}]*)\}|(\w+))/g)].flatMap((m) => (m[1] ?? m[2] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/).pop())));
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

/** The built declarations exist and are not older than lib/ (else the check would read stale types). */
function staleBuild() {
  const stale = [];
  for (const name of libFiles()) {
    const built = `${root}dist/${name.replace(/\.ts$/, '.d.ts')}`;
    let builtAt;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      stale.push(`${name} (no dist/${name.replace(/\.ts$/, '.d.ts')})`);
      continue;
    }
    if (statSync(`${root}lib/${name}`).mtimeMs > builtAt) stale.push(name);
  }
  return stale;
}

/** Type-checks `files` under the project's strict settings; the problems of `files` only. */
function check(files) {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node', 'jest'],
    typeRoots: [`${root}node_modules/@types`],
    paths: {
      'zitadel-resource-server': [`${root}dist/index.d.ts`],
      'zitadel-resource-server/*': [`${root}dist/*/index.d.ts`],
    },
  });
  // Only the blocks' own diagnostics (and the program's global ones): the package's own
  // bodies are typecheck's job.
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSourceFiles()
      .filter((file) => file.fileName.startsWith(out))
      .flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  return diagnostics
    .filter((d) => d.file === undefined || d.file.fileName.startsWith(out))
    .map((d) => {
      const where = d.file ? `${d.file.fileName.slice(out.length)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

function main() {
  const problems = [];
  const stale = staleBuild();
  if (stale.length > 0) {
    console.error(`typecheck:readme reads the built declarations, and dist/ is older than lib/ (run npm run build):\n  ${stale.slice(0, 10).join('\n  ')}`);
    return 1;
  }

  const blocks = [
    ...readmeBlocks().map((block) => ({ ...block, name: `readme-line-${block.line}` })),
    ...tsdocExamples().map((example) => ({ ...example, name: `${example.file.replace(/[/.]/g, '_')}-line-${example.line}` })),
  ];
  // The blocks are there (a broken extraction would check nothing and pass).
  if (blocks.length < 10) problems.push(`only ${blocks.length} blocks found in README.md and lib/ (expected at least 10)`);
  // Only the recipe blocks (```ts recipe=…) are left out: no other fence spelling escapes the check.
  const fences = readFileSync(`${root}README.md`, 'utf8').split('\n').filter((line) => /^```\s*(ts|typescript|tsx|mts|cts)\b/i.test(line));
  for (const fence of fences.filter((line) => line !== '```ts' && !/^```ts recipe=\S+$/.test(line))) {
    problems.push(`README.md: the fence "${fence}" would leave its block unchecked: use \`\`\`ts (or \`\`\`ts recipe=<app>/<file> for a recipe file)`);
  }
  if (!fences.some((line) => line.startsWith('```ts recipe='))) problems.push('README.md: no ```ts recipe=… block found (readme.test.ts and the smoke test expect them)');

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}ambient.d.ts`, AMBIENT);
  const files = blocks.map((block, index) => {
    const file = `${out}${String(index + 1).padStart(3, '0')}-${block.name}.ts`;
    writeFileSync(file, withContext(block.code, block.file));
    return file;
  });
  // A canary: proves that a wrong block is reported (the check can fail).
  writeFileSync(`${out}canary.ts`, withContext('const caller = await createResourceServer({ issuer, audience }).authenticate(42);'));
  const found = check([`${out}ambient.d.ts`, `${out}canary.ts`, ...files]);
  const CANARY = "canary.ts:2 TS2345: Argument of type '42' is not assignable to parameter of type 'string | BearerRequest | undefined'.";
  const canary = found.filter((p) => p.startsWith('canary.ts'));
  if (canary.length !== 1 || canary[0] !== CANARY) problems.push(`the canary (a wrong call) was not reported as expected: ${JSON.stringify(canary)}`);
  problems.push(...found.filter((p) => !p.startsWith('canary.ts')).map((p) => `test/readme/.blocks/${p}`));

  if (problems.length > 0) {
    console.error(`README blocks and TSDoc examples: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
    return 1;
  }
  process.stdout.write(`README blocks and TSDoc examples: ${blocks.length} compile (test/readme/.blocks/)\n`);
  return 0;
}

process.exitCode = main();
