import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { WorkerReport } from './request-channel';
import { BENCH_REQUEST_CHANNEL } from './request-channel';
import { RequestCollector } from './request-collector';

function report(overrides: Partial<WorkerReport>): WorkerReport {
  return {
    runId: 'run-a',
    functionName: 'flush',
    threadId: 1,
    requests: {},
    latency: {},
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

  it('sums the newest report of each thread, requests and latency, by run and function', async () => {
    const flush = { 's3.PutObject': { count: 2, totalMs: 30 } };
    // Running totals: the second report of thread 1 replaces the first.
    worker.postMessage(report({ threadId: 1, requests: { 's3.PutObject': 1 } }));
    worker.postMessage(report({ threadId: 1, requests: { 's3.PutObject': 2 }, latency: flush }));
    worker.postMessage(
      report({
        threadId: 2,
        requests: { 's3.PutObject': 3 },
        latency: { 's3.PutObject': { count: 3, totalMs: 60 } },
      }),
    );
    worker.postMessage(report({ runId: 'run-b', threadId: 3, requests: { 's3.PutObject': 9 } }));
    worker.postMessage({ runId: 'run-a', note: 'not a report' });
    await collector.settle(100);

    const counts = collector.counts('run-a');
    expect(counts.total).toEqual({ 's3.PutObject': 5 });
    expect(counts.latencyByFunction).toEqual({
      flush: { 's3.PutObject': { count: 5, totalMs: 90 } },
    });
    expect(counts.threadCpuSeconds).toEqual({ flush: 0 });
    expect(collector.rejectedReports).toBe(1);
  });
});
