import type { RunningStack } from '../../localstack/stack/index';
import type { ChaosStack } from './scenario';

/**
 * The part of a running local stack a chaos scenario may touch. The stack must have been started
 * with `durable: true`: a scenario that restarts DynamoDB Local or S3Mock on an in-memory stack
 * would measure data loss the pipeline did not cause.
 */
export function chaosStackOf(running: RunningStack): ChaosStack {
  if (!running.durable) {
    throw new Error('chaos scenarios need a stack started with startLocalStack({ durable: true })');
  }
  return {
    endpoints: running.endpoints,
    restartServer: async (name, options) => {
      await running.restartServer(name, options);
    },
  };
}
