/** The BroadcastChannel over which request-counter.ts (in each worker) reports to the profiler. */
export const REQUEST_COUNT_CHANNEL = 'ecom-sync-profile-request-counts';

/** What one worker reports: its function, and the totals so far (not deltas: idempotent to merge). */
export interface RequestCountReport {
  functionName: string;
  threadId: number;
  counts: Record<string, number>;
}
