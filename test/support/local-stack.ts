import { inject } from 'vitest';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { stackEnv } from '../../localstack/stack/endpoints';

export type { StackEndpoints } from '../../localstack/stack/endpoints';

/** Endpoints of the stack the integration global setup started for this run. */
export function localStack(): StackEndpoints {
  const endpoints = inject('localStack');
  if (!endpoints) {
    throw new Error(
      'No local stack: run integration tests with `npx vitest run --project integration`, whose global setup starts it',
    );
  }
  return endpoints;
}

/**
 * Points the AWS SDK (standard AWS_ENDPOINT_URL_* variables) and KAFKA_BROKERS at the local stack
 * for this test file. Returns the env it applied.
 */
export function applyLocalStackEnv(): Record<string, string> {
  const env = stackEnv(localStack());
  Object.assign(process.env, env);
  return env;
}
