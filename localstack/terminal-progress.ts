import type { MetricTotals } from './runtime/emf';
import type { PipelineProgress } from './start-pipeline';
import { stageCounters } from './dashboard/panels';

/** What one progress line or table is drawn from. */
export interface ProgressFrame {
  at: number;
  totals: Record<string, MetricTotals>;
  progress?: PipelineProgress;
}

export interface TerminalProgressOptions {
  metrics: () => Record<string, MetricTotals>;
  progress: () => Promise<PipelineProgress>;
  /** Bounded runs (`--until-drained`): the records Analytics should hold in the end. */
  expectedRecords?: number;
  stream?: NodeJS.WriteStream;
  /** TTY redraw period. */
  redrawMs?: number;
  /** Non-TTY: one plain line this often. */
  lineEveryMs?: number;
  startedAt?: number;
}

const count = (frame: ProgressFrame, metric: string): number => frame.totals[metric]?.sum ?? 0;

function rate(current: ProgressFrame, previous: ProgressFrame | undefined, metric: string): number {
  if (!previous || current.at <= previous.at) return 0;
  return ((count(current, metric) - count(previous, metric)) * 1000) / (current.at - previous.at);
}

/** One decimal for slow rates, so a trickle of 0.2/s does not read as a stall. */
function formatRate(perSecond: number): string {
  return `${perSecond < 10 ? perSecond.toFixed(1) : perSecond.toFixed(0)}/s`;
}

export function progressBar(done: number, total: number, width = 30): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%`;
}

/** The compact table a TTY shows, redrawn in place. */
export function renderTable(
  current: ProgressFrame,
  previous: ProgressFrame | undefined,
  options: { expectedRecords?: number; startedAt: number },
): string[] {
  const lines: string[] = [];
  const elapsed = ((current.at - options.startedAt) / 1000).toFixed(0);
  lines.push(`ecom-sync  ${elapsed}s`);
  lines.push(
    stageCounters.map(({ label }) => label.padStart(10)).join(' '),
    stageCounters.map(({ metric }) => String(count(current, metric)).padStart(10)).join(' '),
    stageCounters
      .map(({ metric }) => formatRate(rate(current, previous, metric)).padStart(10))
      .join(' '),
  );
  const progress = current.progress;
  if (progress) {
    lines.push(
      `kafka lag ${progress.consumerLag}   staged ${progress.stagedObjects}   dlq ${progress.dlqMessages}   ` +
        `analytics ${progress.stats.uniqueRecords} unique / ${progress.stats.payloads} payloads`,
    );
    if (options.expectedRecords !== undefined) {
      lines.push(
        `${progressBar(progress.stats.uniqueRecords, options.expectedRecords)} ${progress.stats.uniqueRecords}/${options.expectedRecords}`,
      );
    }
  }
  return lines;
}

/** The one line a non-TTY (CI log, pipe) gets every few seconds. */
export function renderLine(
  current: ProgressFrame,
  previous: ProgressFrame | undefined,
  options: { expectedRecords?: number; startedAt: number },
): string {
  const elapsed = ((current.at - options.startedAt) / 1000).toFixed(0);
  const stages = stageCounters
    .map(
      ({ label, metric }) =>
        `${label}=${count(current, metric)} (${formatRate(rate(current, previous, metric))})`,
    )
    .join(' ');
  const progress = current.progress;
  const state = progress
    ? ` lag=${progress.consumerLag} staged=${progress.stagedObjects} dlq=${progress.dlqMessages} analytics=${progress.stats.uniqueRecords}` +
      (options.expectedRecords === undefined
        ? ''
        : `/${options.expectedRecords} (${((100 * progress.stats.uniqueRecords) / Math.max(1, options.expectedRecords)).toFixed(0)}%)`)
    : '';
  return `[progress] t=${elapsed}s ${stages}${state}`;
}

/**
 * Live progress for `npm start`: on a TTY a table redrawn in place (ANSI cursor-up + erase), so
 * it needs no curses library; elsewhere a plain line every `lineEveryMs`, which logs cleanly.
 */
export function startTerminalProgress(options: TerminalProgressOptions): { stop(): Promise<void> } {
  const stream = options.stream ?? process.stdout;
  const tty = stream.isTTY;
  const startedAt = options.startedAt ?? Date.now();
  const period = tty ? (options.redrawMs ?? 1_000) : (options.lineEveryMs ?? 10_000);
  let previous: ProgressFrame | undefined;
  let drawnLines = 0;
  let running: Promise<void> | undefined;

  const draw = async (): Promise<void> => {
    let progress: PipelineProgress | undefined;
    try {
      progress = await options.progress();
    } catch {
      progress = previous?.progress; // a server hiccup should not blank the table
    }
    const frame: ProgressFrame = {
      at: Date.now(),
      totals: options.metrics(),
      ...(progress ? { progress } : {}),
    };
    const layout = {
      startedAt,
      ...(options.expectedRecords === undefined
        ? {}
        : { expectedRecords: options.expectedRecords }),
    };
    if (tty) {
      const lines = renderTable(frame, previous, layout);
      const rewind = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
      stream.write(`${rewind}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
      drawnLines = lines.length;
    } else {
      stream.write(`${renderLine(frame, previous, layout)}\n`);
    }
    previous = frame;
  };
  const timer = setInterval(() => {
    running ??= draw().finally(() => {
      running = undefined;
    });
  }, period);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
