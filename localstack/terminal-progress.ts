import type { MetricTotals } from './runtime/emf';
import type { PipelineProgress } from './start-pipeline';
import { stageCounters } from './dashboard/panels';

export interface ProgressFrame {
  at: number;
  totals: Record<string, MetricTotals>;
  progress?: PipelineProgress;
}

interface Layout {
  startedAt: number;
  /** Bounded runs (`--until-drained`): the records Analytics should hold in the end. */
  expectedRecords?: number;
}

export interface TerminalProgressOptions extends Partial<Layout> {
  metrics: () => Record<string, MetricTotals>;
  progress: () => Promise<PipelineProgress>;
  stream?: NodeJS.WriteStream;
  redrawMs?: number;
  /** Non-TTY: one plain line this often. */
  lineEveryMs?: number;
}

function stages(current: ProgressFrame, previous: ProgressFrame | undefined) {
  const count = (frame: ProgressFrame, metric: string): number => frame.totals[metric]?.sum ?? 0;
  const seconds = previous && current.at > previous.at ? (current.at - previous.at) / 1000 : 0;
  return stageCounters.map(({ label, metric }) => {
    const perSecond =
      previous && seconds > 0 ? (count(current, metric) - count(previous, metric)) / seconds : 0;
    // One decimal for slow rates, so a trickle of 0.2/s does not read as a stall.
    const rate = `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`;
    return { label, count: count(current, metric), rate };
  });
}

const elapsed = (frame: ProgressFrame, layout: Layout): string =>
  `${((frame.at - layout.startedAt) / 1000).toFixed(0)}s`;

export function progressBar(done: number, total: number, width = 30): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%`;
}

export function renderTable(
  current: ProgressFrame,
  previous: ProgressFrame | undefined,
  layout: Layout,
): string[] {
  const cells = stages(current, previous);
  const lines = [
    `ecom-sync  ${elapsed(current, layout)}`,
    ...(['label', 'count', 'rate'] as const).map((column) =>
      cells.map((cell) => String(cell[column]).padStart(10)).join(' '),
    ),
  ];
  const { progress } = current;
  if (progress)
    lines.push(
      `kafka lag ${progress.consumerLag}   staged ${progress.stagedObjects}   dlq ${progress.dlqMessages}   ` +
        `analytics ${progress.stats.uniqueRecords} unique / ${progress.stats.payloads} payloads`,
    );
  if (progress && layout.expectedRecords !== undefined)
    lines.push(
      `${progressBar(progress.stats.uniqueRecords, layout.expectedRecords)} ${progress.stats.uniqueRecords}/${layout.expectedRecords}`,
    );
  return lines;
}

/** The one line a non-TTY (CI log, pipe) gets every few seconds. */
export function renderLine(
  current: ProgressFrame,
  previous: ProgressFrame | undefined,
  layout: Layout,
): string {
  const cells = stages(current, previous).map((c) => `${c.label}=${c.count} (${c.rate})`);
  const { progress } = current;
  const { expectedRecords } = layout;
  const state = progress
    ? ` lag=${progress.consumerLag} staged=${progress.stagedObjects} dlq=${progress.dlqMessages} analytics=${progress.stats.uniqueRecords}` +
      (expectedRecords === undefined
        ? ''
        : `/${expectedRecords} (${((100 * progress.stats.uniqueRecords) / Math.max(1, expectedRecords)).toFixed(0)}%)`)
    : '';
  return `[progress] t=${elapsed(current, layout)} ${cells.join(' ')}${state}`;
}

/**
 * Live progress for `npm start`: on a TTY a table redrawn in place (ANSI cursor-up + erase), so
 * it needs no curses library; elsewhere a plain line every `lineEveryMs`, which logs cleanly.
 */
export function startTerminalProgress(options: TerminalProgressOptions): { stop(): Promise<void> } {
  const { stream = process.stdout, startedAt = Date.now(), expectedRecords } = options;
  const layout = { startedAt, expectedRecords };
  let previous: ProgressFrame | undefined;
  let drawnLines = 0;
  let running: Promise<void> | undefined;

  const draw = async (): Promise<void> => {
    // A server hiccup should not blank the table.
    const progress = await options.progress().catch(() => previous?.progress);
    const frame: ProgressFrame = { at: Date.now(), totals: options.metrics(), progress };
    if (stream.isTTY) {
      const lines = renderTable(frame, previous, layout);
      const rewind = drawnLines > 0 ? `\x1b[${drawnLines}A` : '';
      stream.write(`${rewind}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
      drawnLines = lines.length;
    } else {
      stream.write(`${renderLine(frame, previous, layout)}\n`);
    }
    previous = frame;
  };
  const period = stream.isTTY ? (options.redrawMs ?? 1_000) : (options.lineEveryMs ?? 10_000);
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
