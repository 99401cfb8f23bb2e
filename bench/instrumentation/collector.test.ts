import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerReport } from './collector';
import { BENCH_REQUEST_CHANNEL, RequestCollector } from './collector';

function report(overrides: Partial<WorkerReport>): WorkerReport {
  return {
    runId: 'run-a',
    functionName: 'flush',
    threadId: 1,
    requests: {},
    invocations: [],
    ...overrides,
  };
}

describe('RequestCollector', () => {
  const collector = new RequestCollector();
  const worker = new BroadcastChannel(BENCH_REQUEST_CHANNEL);
  afterAll(() => {
    worker.close();
    collector.close();
  });

  it('sums the newest report of each thread, by run', async () => {
    // Running totals: the second report of thread 1 replaces the first.
    worker.postMessage(report({ threadId: 1, requests: { 's3.PutObject': 1 } }));
    worker.postMessage(report({ threadId: 1, requests: { 's3.PutObject': 2 } }));
    worker.postMessage(
      report({ threadId: 2, requests: { 's3.PutObject': 3 }, threadCpuSeconds: 2 }),
    );
    worker.postMessage(report({ runId: 'run-b', threadId: 3, requests: { 's3.PutObject': 9 } }));
    worker.postMessage({ runId: 'run-a', note: 'not a report' });
    await collector.settle(100);

    const counts = collector.counts('run-a');
    expect(counts.total).toEqual({ 's3.PutObject': 5 });
    expect(counts.threadCpuSeconds).toEqual({ flush: 2 });
    expect(collector.rejectedReports).toBe(1);
  });
});
