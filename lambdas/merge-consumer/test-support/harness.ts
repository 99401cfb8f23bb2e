import { vi } from 'vitest';
import type { DlqEntry } from '../../shared/dlq';
import type { MergeConsumerDeps } from '../process-event';
import { InMemoryClaimStore, InMemoryStagingStore } from './in-memory-stores';

/**
 * The merge-consumer's dependencies in memory: what it staged, dead-lettered, logged and counted.
 * `publish` runs before each DLQ publish; make it throw to stand for an unreachable DLQ topic.
 */
export function mergeConsumerHarness(
  publish: (entries: DlqEntry[]) => Promise<unknown> = async () => [],
) {
  const metrics = new Map<string, number>();
  const logs: unknown[] = [];
  const dlqEntries: DlqEntry[] = [];
  const staging = new InMemoryStagingStore();
  const deps: MergeConsumerDeps = {
    claims: new InMemoryClaimStore(),
    staging,
    concurrency: 4,
    now: () => new Date('2026-01-15T12:00:00Z'),
    dlq: {
      publish: vi.fn(async (entries: DlqEntry[]) => {
        await publish(entries);
        dlqEntries.push(...entries);
        return [];
      }),
    },
    logger: {
      info: (...args) => void logs.push(args),
      warn: (...args) => void logs.push(args),
      error: (...args) => void logs.push(args),
      resetKeys: () => undefined,
      setCorrelationId: (value) => void logs.push(['correlation_id', value]),
    },
    metrics: {
      addMetric: (name, _unit, value) => void metrics.set(name, (metrics.get(name) ?? 0) + value),
    },
  };
  return { deps, metrics, logs, dlqEntries, staging };
}
