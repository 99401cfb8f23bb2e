/** The main thread's end: workers' reports, the mapping's consumer (in this thread), EMF lines, /proc. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BroadcastChannel } from 'node:worker_threads';
import { z } from 'zod';
import type { FunctionHost } from '../../localstack/runtime/function-host';
import { parseEmfLine } from '../../localstack/runtime/emf';
import { installKafkaRequestCounter, RequestTally } from './counters';

export const BENCH_REQUEST_CHANNEL = 'ecom-sync-bench-requests';
/** So reports of different pipeline runs never mix. */
export const BENCH_RUN_ID_ENV = 'BENCH_RUN_ID';

const InvocationTimingSchema = z.object({ startMs: z.number(), endMs: z.number() });
export type InvocationTiming = z.infer<typeof InvocationTimingSchema>;

/** Running totals (not deltas): the newest report of a thread replaces the previous one. */
const WorkerReportSchema = z.object({
  runId: z.string(),
  functionName: z.string(),
  threadId: z.number().int(),
  requests: z.record(z.string(), z.number()),
  invocations: z.array(InvocationTimingSchema),
  threadCpuSeconds: z.number().optional(),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

export class RequestCollector {
  private readonly channel = new BroadcastChannel(BENCH_REQUEST_CHANNEL);
  private readonly reports = new Map<string, Map<number, WorkerReport>>();
  private readonly mappingConsumers = new Map<string, { runId: string; tally: RequestTally }>();
  private readonly uninstallKafkaCounter = installKafkaRequestCounter(
    (groupId) =>
      [...this.mappingConsumers].find(([prefix]) => groupId?.startsWith(prefix))?.[1].tally,
  );
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
      if (!threads) this.reports.set(report.runId, (threads = new Map<number, WorkerReport>()));
      threads.set(report.threadId, report);
    };
  }

  /** Counts, under `runId`, consumers built later in this thread whose group id has this prefix. */
  watchConsumerGroups(runId: string, groupIdPrefix: string): void {
    this.mappingConsumers.set(groupIdPrefix, { runId, tally: new RequestTally() });
  }

  /** Lets reports in flight on the channel arrive before reading. */
  async settle(ms = 400): Promise<void> {
    await sleep(ms);
  }

  /** Summed over every function and the mapping's consumer; invocations oldest first. */
  counts(runId: string) {
    const total: Record<string, number> = {};
    const invocations: Record<string, InvocationTiming[]> = {};
    const threadCpuSeconds: Record<string, number> = {};
    const add = (from: Record<string, number>): void => {
      for (const [key, value] of Object.entries(from)) total[key] = (total[key] ?? 0) + value;
    };
    for (const report of this.reports.get(runId)?.values() ?? []) {
      add(report.requests);
      (invocations[report.functionName] ??= []).push(...report.invocations);
      threadCpuSeconds[report.functionName] =
        (threadCpuSeconds[report.functionName] ?? 0) + (report.threadCpuSeconds ?? 0);
    }
    for (const consumer of this.mappingConsumers.values()) {
      if (consumer.runId === runId) add(consumer.tally.snapshot());
    }
    for (const timings of Object.values(invocations)) timings.sort((a, b) => a.startMs - b.startMs);
    return { total, invocations, threadCpuSeconds };
  }

  close(): void {
    this.uninstallKafkaCounter();
    this.channel.close();
  }
}

export function emfSample(functionName: string, text: string) {
  const parsed = parseEmfLine(text);
  if (!parsed) return undefined;
  const values: Record<string, number> = {};
  for (const datum of parsed.data) values[datum.name] = (values[datum.name] ?? 0) + datum.value;
  return { functionName, timestampMs: parsed.timestampMs, values };
}

/** The stage rates come from the metrics the functions emit anyway. */
export class EmfRecorder {
  readonly samples: Array<NonNullable<ReturnType<typeof emfSample>>> = [];
  private readonly unsubscribers: Array<() => void>;

  constructor(hosts: readonly FunctionHost[]) {
    this.unsubscribers = hosts.map((host) =>
      host.onOutput((line) => {
        const sample = emfSample(line.functionName, line.text);
        if (sample) this.samples.push(sample);
      }),
    );
  }

  total(metricName: string, sinceMs = 0): number {
    return this.samples
      .filter((sample) => sample.timestampMs >= sinceMs)
      .reduce((sum, sample) => sum + (sample.values[metricName] ?? 0), 0);
  }

  close(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
  }
}

function procFile(pid: number, file: 'stat' | 'status'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds from /proc/<pid>/stat; undefined if gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const stat = procFile(pid, 'stat');
  if (stat === undefined) return undefined;
  // The command name (field 2) may contain spaces: split after its closing parenthesis. Fields 14
  // and 15 (utime, stime) are then 11 and 12, in clock ticks (USER_HZ, 100 on mainstream kernels).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds each named process used since the meter was made (a restarted one counts from 0). */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const base = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid) ?? 0]),
  );
  return () =>
    Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => {
        const now = processCpuSeconds(pid) ?? 0;
        return [name, now >= (base[name] ?? 0) ? now - (base[name] ?? 0) : now];
      }),
    );
}

/** This process's maxRSS (mock APIs and function threads included) plus each JVM's VmHWM. */
export function peakMemory(serverPids: Record<string, number>) {
  const benchProcessMiB = process.resourceUsage().maxRSS / 1024;
  const serversMiB: Record<string, number> = {};
  for (const [name, pid] of Object.entries(serverPids)) {
    const kib = parseVmHighWater(procFile(pid, 'status') ?? '');
    if (kib !== undefined) serversMiB[name] = kib / 1024;
  }
  const totalMiB = benchProcessMiB + Object.values(serversMiB).reduce((sum, v) => sum + v, 0);
  return { benchProcessMiB, serversMiB, totalMiB };
}

/** `VmHWM:   123456 kB` from /proc/<pid>/status. */
export function parseVmHighWater(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : undefined;
}
