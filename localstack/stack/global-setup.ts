import type { TestProject } from 'vitest/node';
import { formatTimings, startLocalStack } from './index';

/**
 * Vitest global setup of the `integration` project: one stack for the whole run, stopped when
 * the run ends (the stack's own exit/signal hooks and reaper cover Ctrl-C and crashes).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ log: (line) => console.log(`[local-stack] ${line}`) });
  console.log(`[local-stack] cold start: ${formatTimings(stack.timings)}`);
  project.provide('localStack', stack.endpoints);
  return () => stack.stop();
}
