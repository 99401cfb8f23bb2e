import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';

/** An EventBridge "Scheduled Event", exactly as a rate() rule delivers it to Lambda. */
export function scheduledEvent(args: {
  ruleArn: string;
  region: string;
  account: string;
}): ScheduledEvent<Record<string, never>> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: args.account,
    // EventBridge stamps scheduled events with the whole second they fired at.
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: args.region,
    resources: [args.ruleArn],
    detail: {},
  };
}

export interface ScheduleTarget {
  functionName: string;
  /** The EventBridge rate in AWS (`rate(N minutes)`). */
  rateMinutes: number;
  invoke(event: unknown): Promise<unknown>;
}

export interface SchedulerOptions {
  targets: ScheduleTarget[];
  /** Local length of one scheduled "minute": a rate of N minutes fires every N * tickMs. */
  tickMs: number;
  region: string;
  account: string;
  onInvocation?: (outcome: ScheduleOutcome) => void;
}

export type ScheduleOutcome =
  | { functionName: string; status: 'succeeded'; result: unknown; durationMs: number }
  | { functionName: string; status: 'failed'; error: Error; durationMs: number }
  | { functionName: string; status: 'skipped' };

/**
 * Fires `pipeline.schedules` at `tickMs` per minute. A tick that finds the function still running
 * is skipped, not queued: flush runs one at a time, and a backlog of polls would re-read pages.
 */
export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    for (const target of this.options.targets) {
      const periodMs = Math.max(1, Math.round(target.rateMinutes * this.options.tickMs));
      this.timers.push(setInterval(() => this.fire(target), periodMs));
      // At once rather than after one period (EventBridge waits): a run starts with a sync.
      this.fire(target);
    }
  }

  /** Stops firing and waits for the invocations already running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await Promise.all(this.running.values());
  }

  private fire(target: ScheduleTarget): void {
    const { functionName } = target;
    const { region, account, onInvocation } = this.options;
    if (this.stopped) return;
    if (this.running.has(functionName)) return onInvocation?.({ functionName, status: 'skipped' });
    // The rule name infra gives each schedule.
    const ruleArn = `arn:aws:events:${region}:${account}:rule/ecom-sync-${functionName}-schedule`;
    const startedAt = Date.now();
    const tracked = target
      .invoke(scheduledEvent({ ruleArn, region, account }))
      .then(
        (result) => ({ status: 'succeeded' as const, result }),
        (error: unknown) => ({
          status: 'failed' as const,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
      )
      .then((outcome) =>
        onInvocation?.({ functionName, ...outcome, durationMs: Date.now() - startedAt }),
      )
      .finally(() => this.running.delete(functionName));
    this.running.set(functionName, tracked);
  }
}
