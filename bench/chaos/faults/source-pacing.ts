import type { FaultSettings } from '../../../lambdas/mock-apis/faults';
import type { HostedFunctionKey } from '../../../localstack/runtime/pipeline-functions';

export interface SourcePacing {
  /** Page size for both pollers. */
  pollerEnv: Partial<Record<HostedFunctionKey, Record<string, string>>>;
  /** Latency per source page (mock faults). */
  faults: FaultSettings;
  /** What the pacing does, for the scenario's notes. */
  description: string;
}

/**
 * Slows the sources down so that a full sync of `records` takes at least `minSyncSeconds`: small
 * pages, each answered after a delay. Without it a small data set is polled, staged and delivered
 * in a couple of flushes, and "kill the broker at 30 % delivered" would fire after the fact.
 * The pipeline is untouched: only the mock CRM and Inventory answer slower.
 */
export function paceSources(
  records: number,
  options: { minSyncSeconds: number; pageSize?: number },
): SourcePacing {
  const pageSize = options.pageSize ?? 100;
  // Customers are 2/3 of the data set, so the CRM poller pages the most.
  const crmPages = Math.max(1, Math.ceil((records * 2) / 3 / pageSize));
  const latencyMs = Math.min(2_000, Math.ceil((options.minSyncSeconds * 1000) / crmPages));
  const pollerEnv = { POLLER_PAGE_SIZE: String(pageSize) };
  return {
    pollerEnv: { pollCrm: pollerEnv, pollInventory: pollerEnv },
    faults: { crm: { latencyMs }, inventory: { latencyMs } },
    description: `sources paced: ${pageSize} records per page, ${latencyMs} ms per page`,
  };
}
