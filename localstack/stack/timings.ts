/** How long each server took from spawn to healthy, and the whole stack from call to ready. */
export interface StackTimings {
  perServerMs: Record<string, number>;
  totalMs: number;
}

export function formatTimings(timings: StackTimings): string {
  const servers = Object.entries(timings.perServerMs)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`)
    .join(', ');
  return `total ${(timings.totalMs / 1000).toFixed(1)}s (${servers})`;
}
