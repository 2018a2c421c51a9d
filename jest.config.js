/** Jest 30 + @swc/jest on native ESM (run with NODE_OPTIONS=--experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Tests import the package by its name, as users do, straight from the sources.
    '^zitadel-resource-server$': '<rootDir>/lib/index.ts',
    '^zitadel-resource-server/(nest|express|fastify|testing|redis|client)$': '<rootDir>/lib/$1/index.ts',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/redis: npm run test:redis; test/sample-app (the npm start demo): npm run test:demo.
  testPathIgnorePatterns: ['/node_modules/', '/test/redis/', '/test/load/', '/test/sample-app/'],
  // The testing recipes' apps (built by the smoke test) have package.json files of their own.
  modulePathIgnorePatterns: ['<rootDir>/scripts/smoke/recipes/'],
  testTimeout: 20000,
  // Jest's default is one worker fewer than the cores: on a 2-core machine that is one
  // worker, every suite in a row. Two workers halve the wall time there.
  maxWorkers: 2,
  // Runners (all.test.ts, see test/support/specs.ts) weigh what their specs weigh when Jest orders the files.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  // One RSA key for every file's test issuers; one line on the Redis suite (npm run test:redis).
  globalSetup: '<rootDir>/test/support/global-setup.js',
};
