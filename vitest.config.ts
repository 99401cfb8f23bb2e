import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure logic, aws-sdk-client-mock, no servers) and `integration`
 * (`*.int.test.ts`: real Kafka, DynamoDB Local and S3Mock on loopback, started once per run by
 * the global setup and stopped when the run ends, also on failure or Ctrl-C).
 */
export default defineConfig({
  test: {
    // CI reads the pass/fail counts from the JSON report (see .ci/run).
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]]
      : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{lambdas,infra,localstack,test,bench}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{lambdas,infra,localstack,test,bench}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['localstack/stack/global-setup.ts'],
          // One stack serves the whole run and files share its Kafka topics and consumer groups, so
          // they run one at a time in a single fork (fileParallelism is a root-only option).
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
