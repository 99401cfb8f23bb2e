import { BroadcastChannel } from 'node:worker_threads';
import { installKafkaRequestCounter } from './kafkajs-counter';
import type { InvocationTiming, RequestLatency, WorkerReport } from './request-channel';
import { BENCH_REQUEST_CHANNEL, WorkerReportSchema } from './request-channel';
import { RequestTally } from './request-tally';

/** Where the requests of the event source mapping's consumer (this thread) are filed. */
const eventSourceMapping = 'event-source-mapping';

/** What one pipeline run sent so far, from its workers' reports and the main-thread consumer. */
export interface RequestCounts {
  /** `<service>.<operation>` → requests, summed over every function and the mapping's consumer. */
  total: Record<string, number>;
  byFunction: Record<string, Record<string, number>>;
  /** Finished invocations per function, with their in-worker start and end. */
  invocations: Record<string, InvocationTiming[]>;
  /** Per function: time its requests took, by `<service>.<operation>`. */
  latencyByFunction: Record<string, Record<string, RequestLatency>>;
  /** CPU seconds of each function's worker threads since they started. */
  threadCpuSeconds: Record<string, number>;
}

/**
 * The bench's main thread end of the request counters: collects the workers' reports from the
 * BroadcastChannel and counts the Kafka requests of the event source mapping's consumer, which
 * runs in this thread (registered by consumer group id).
 */
export class RequestCollector {
  private readonly channel = new BroadcastChannel(BENCH_REQUEST_CHANNEL);
  /** runId → threadId → newest report (reports carry running totals). */
  private readonly reports = new Map<string, Map<number, WorkerReport>>();
  /** Group id prefix → the run it belongs to; consumer group id → its tally and run. */
  private readonly watchedPrefixes = new Map<string, string>();
  private readonly consumerTallies = new Map<string, { runId: string; tally: RequestTally }>();
  private readonly uninstallKafkaCounter: () => void;
  rejectedReports = 0;

  constructor() {
    this.channel.onmessage = (event: unknown) => {
      const parsed = WorkerReportSchema.safeParse((event as MessageEvent).data);
      if (!parsed.success) {
        this.rejectedReports++;
        return;
      }
      const report = parsed.data;
      let threads = this.reports.get(report.runId);
      if (!threads) this.reports.set(report.runId, (threads = new Map()));
      threads.set(report.threadId, report);
    };
    this.uninstallKafkaCounter = installKafkaRequestCounter({
      consumers: (groupId) => this.tallyForGroup(groupId),
    });
  }

  /**
   * Count, under `runId`, the requests of consumers built later in this thread whose group id
   * starts with `groupIdPrefix` (the run's group id is only known once the run has built it).
   */
  watchConsumerGroups(runId: string, groupIdPrefix: string): void {
    this.watchedPrefixes.set(groupIdPrefix, runId);
  }

  private tallyForGroup(groupId: string): RequestTally | undefined {
    const existing = this.consumerTallies.get(groupId);
    if (existing) return existing.tally;
    for (const [prefix, runId] of this.watchedPrefixes) {
      if (!groupId.startsWith(prefix)) continue;
      const tally = new RequestTally();
      this.consumerTallies.set(groupId, { runId, tally });
      return tally;
    }
    return undefined;
  }

  /** Lets reports in flight on the channel arrive before reading. */
  async settle(ms = 400): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  counts(runId: string): RequestCounts {
    const total: Record<string, number> = {};
    const byFunction: Record<string, Record<string, number>> = {};
    const invocations: Record<string, InvocationTiming[]> = {};
    const latencyByFunction: Record<string, Record<string, RequestLatency>> = {};
    const threadCpuSeconds: Record<string, number> = {};
    const add = (target: Record<string, number>, from: Record<string, number>): void => {
      for (const [key, value] of Object.entries(from)) target[key] = (target[key] ?? 0) + value;
    };
    const addLatency = (
      target: Record<string, RequestLatency>,
      from: Record<string, RequestLatency>,
    ): void => {
      for (const [key, { count, totalMs }] of Object.entries(from)) {
        const sum = (target[key] ??= { count: 0, totalMs: 0 });
        sum.count += count;
        sum.totalMs += totalMs;
      }
    };
    for (const report of this.reports.get(runId)?.values() ?? []) {
      add(total, report.requests);
      add((byFunction[report.functionName] ??= {}), report.requests);
      addLatency((latencyByFunction[report.functionName] ??= {}), report.latency);
      (invocations[report.functionName] ??= []).push(...report.invocations);
      threadCpuSeconds[report.functionName] =
        (threadCpuSeconds[report.functionName] ?? 0) + (report.threadCpuSeconds ?? 0);
    }
    for (const consumer of this.consumerTallies.values()) {
      if (consumer.runId !== runId) continue;
      const requests = consumer.tally.snapshot();
      add(total, requests);
      add((byFunction[eventSourceMapping] ??= {}), requests);
      addLatency((latencyByFunction[eventSourceMapping] ??= {}), consumer.tally.latencySnapshot());
    }
    for (const timings of Object.values(invocations)) timings.sort((a, b) => a.startMs - b.startMs);
    return { total, byFunction, invocations, latencyByFunction, threadCpuSeconds };
  }

  close(): void {
    this.uninstallKafkaCounter();
    this.channel.close();
  }
}
