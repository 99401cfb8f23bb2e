import type { PipelineProgress } from '../start-pipeline';

export interface ProgressSample {
  t: number;
  consumerLag: number;
  dlqMessages: number;
  stagedObjects: number;
  uniqueRecords: number;
  payloads: number;
}

export interface ProgressView {
  latest?: PipelineProgress;
  /** Records the run expects Analytics to hold in the end, when it is bounded. */
  expectedRecords?: number;
  history: ProgressSample[];
  /** Why the last sample failed, if it did (a server still starting, say). */
  lastError?: string;
}

/**
 * Samples the pipeline's progress (Analytics stats, consumer lag, staged objects, DLQ depth) on a
 * timer: the charts for lag and DLQ depth need a history, and the sources are servers that
 * should not be queried once per browser tab per second.
 */
export class ProgressHistory {
  private readonly samples: ProgressSample[] = [];
  private latest: PipelineProgress | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<PipelineProgress>,
    private readonly options: { intervalMs: number; maxSamples?: number; expectedRecords?: number },
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  /** Takes one sample now (skipped when one is still running). */
  sample(now = Date.now): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const progress = await this.read();
        this.latest = progress;
        this.lastError = undefined;
        this.samples.push({
          t: now(),
          consumerLag: progress.consumerLag,
          dlqMessages: progress.dlqMessages,
          stagedObjects: progress.stagedObjects,
          uniqueRecords: progress.stats.uniqueRecords,
          payloads: progress.stats.payloads,
        });
        if (this.samples.length > (this.options.maxSamples ?? 720)) this.samples.shift();
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  view(): ProgressView {
    return {
      ...(this.latest ? { latest: this.latest } : {}),
      ...(this.options.expectedRecords === undefined
        ? {}
        : { expectedRecords: this.options.expectedRecords }),
      history: this.samples.map((sample) => ({ ...sample })),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }
}
