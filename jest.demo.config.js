/**
 * The sample app demo (`npm run test:demo`): builds the sample app if stale and runs
 * `npm start` and `npm start -- --serve` in child processes, as a user would (about 10 s of
 * CPU in three Node processes). CI runs it after npm test; npm test leaves it out.
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/sample-app/**/*.test.ts'],
  // The notice of npm test is about the Redis suite, and the demo brings its own issuer keys.
  globalSetup: undefined,
  testPathIgnorePatterns: base.testPathIgnorePatterns.filter((pattern) => pattern !== '/test/sample-app/'),
};
