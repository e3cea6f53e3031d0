import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Unit tests (`*.test.ts`) need nothing running; integration tests (`*.int.test.ts`) get real PostgreSQL
// and Redis from the global setup, with their own database and queue prefix per file.
export default defineConfig({
  // graphql ships CJS (`main`) and ESM (`module`) builds; Node (and so type-graphql and Apollo) loads the CJS
  // one, Vite would pick the ESM one for our sources: two instances break `instanceof` checks. Use Node's.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{src,jobs,connectors,test,bench}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{src,jobs,connectors,test}/**/*.int.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
    pool: 'forks',
    testTimeout: 20_000,
  },
});
