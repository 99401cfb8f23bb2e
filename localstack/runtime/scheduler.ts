import { scheduleRuleArn, scheduledEvent } from './scheduled-event';

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
  /** Fire every schedule once at start instead of waiting one period (EventBridge waits). */
  fireOnStart?: boolean;
  onInvocation?: (outcome: ScheduleOutcome) => void;
}

export type ScheduleOutcome =
  | { functionName: string; status: 'succeeded'; result: unknown; durationMs: number }
  | { functionName: string; status: 'failed'; error: Error; durationMs: number }
  | { functionName: string; status: 'skipped' };

/**
 * Fires the EventBridge schedules of `pipeline.schedules`, scaled down to `tickMs` per minute.
 * A tick that finds the previous invocation of the same function still running is skipped rather
 * than queued: flush has reserved concurrency 1, and a backlog of polls would only re-read the same
 * pages.
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
      if (this.options.fireOnStart ?? true) this.fire(target);
    }
  }

  /** True while any scheduled invocation is running. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Stops firing and waits for the invocations already running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await Promise.all(this.running.values());
  }

  private fire(target: ScheduleTarget): void {
    if (this.stopped) return;
    if (this.running.has(target.functionName)) {
      this.options.onInvocation?.({ functionName: target.functionName, status: 'skipped' });
      return;
    }
    const { region, account } = this.options;
    const event = scheduledEvent({
      ruleArn: scheduleRuleArn(target.functionName, region, account),
      region,
      account,
    });
    const startedAt = Date.now();
    const run = target.invoke(event).then(
      (result) =>
        this.options.onInvocation?.({
          functionName: target.functionName,
          status: 'succeeded',
          result,
          durationMs: Date.now() - startedAt,
        }),
      (error: unknown) =>
        this.options.onInvocation?.({
          functionName: target.functionName,
          status: 'failed',
          error: error instanceof Error ? error : new Error(String(error)),
          durationMs: Date.now() - startedAt,
        }),
    );
    const tracked = run.finally(() => this.running.delete(target.functionName));
    this.running.set(target.functionName, tracked);
  }
}
