/**
 * The Redis suite (`npm run test:redis`): needs a Redis at REDIS_URL (default
 * redis://127.0.0.1:6379) and `redis-server` on PATH. It fails, never skips, when Redis
 * is unreachable.
 */
import base from './jest.config.js';

export default {
  ...base,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^zitadel-resource-server/redis$': '<rootDir>/lib/redis/index.ts',
  },
  testMatch: ['<rootDir>/test/redis/**/*.test.ts'],
  // The notice of npm test is about this suite: not needed when it runs.
  globalSetup: undefined,
  testPathIgnorePatterns: base.testPathIgnorePatterns.filter((pattern) => pattern !== '/test/redis/'),
};
