import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the Nest testing example exactly as it runs in this suite', () => {
    const example = readFileSync(new URL('./orders.controller.test.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('shows the testing recipes exactly as the packaging smoke test builds them (scripts/smoke/recipes/)', () => {
    const recipes = new URL('../../scripts/smoke/recipes/', import.meta.url);
    const blocks = [...readme.matchAll(/^```(\w+) recipe=(\S+)\n([\s\S]*?)^```$/gm)].map(([, , ref, body]) => ({ ref: ref!, body: body! }));
    expect(blocks.map((block) => block.ref).sort()).toEqual([
      'express-node-test/package.json',
      'express-node-test/src/app.js',
      'express-node-test/test/orders.test.js',
      'nest11-jest/package.json#jest',
      'nest11-jest/src/app.module.ts',
      'nest11-jest/test/app.e2e-spec.ts',
      'nest11-jest/test/jest-e2e.json',
      'nest12-vitest-fastify/src/main.ts',
      'nest12-vitest-fastify/test/app.e2e-spec.ts',
    ]);
    for (const { ref, body } of blocks) {
      const [file, key] = ref.split('#');
      const text = readFileSync(new URL(file!, recipes), 'utf8');
      // `file#key`: one section of a JSON file, as `"key": value` (the "jest" section of package.json).
      const shown = key === undefined ? text : `"${key}": ${JSON.stringify((JSON.parse(text) as Record<string, unknown>)[key], null, 2)}\n`;
      expect({ ref, body }).toEqual({ ref, body: shown });
    }
  });

  it('keeps the two quick-start commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toMatch(/^npm test\b/m);
  });
});
