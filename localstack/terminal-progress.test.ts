import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PipelineProgress } from './start-pipeline';
import type { ProgressFrame } from './terminal-progress';
import { progressBar, renderLine, renderTable, startTerminalProgress } from './terminal-progress';

const progress = (uniqueRecords: number): PipelineProgress => ({
  stats: {
    uniqueRecords,
    uniqueVersions: uniqueRecords,
    duplicateRecords: 0,
    payloads: 2,
    duplicatePayloads: 0,
    recordsReceived: uniqueRecords,
    deletes: 0,
  },
  consumerLag: 120,
  stagedObjects: 3,
  dlqMessages: 1,
});
const frame = (at: number, published: number, unique: number): ProgressFrame => ({
  at,
  totals: { RecordsPublished: { sum: published, samples: 1 } },
  progress: progress(unique),
});

describe('terminal progress', () => {
  it('draws a bar that never overflows', () => {
    expect(progressBar(50, 100, 10)).toBe('[#####-----]  50%');
    expect(progressBar(150, 100, 4)).toBe('[####] 100%');
    expect(progressBar(1, 0, 4)).toBe('[----]   0%');
  });

  it('renders counters, rates, lag, DLQ and the bar for a bounded run', () => {
    const lines = renderTable(frame(12_000, 3_000, 1_500), frame(10_000, 1_000, 0), {
      startedAt: 0,
      expectedRecords: 3_000,
    });
    expect(lines[0]).toBe('ecom-sync  12s');
    expect(lines[1]).toContain('published');
    expect(lines[2]).toContain('3000');
    expect(lines[3]).toContain('1000/s');
    expect(lines[4]).toBe('kafka lag 120   staged 3   dlq 1   analytics 1500 unique / 2 payloads');
    expect(lines[5]).toContain('50%');
  });

  it('renders one plain line for logs, without a bar when unbounded', () => {
    const line = renderLine(frame(12_000, 3_000, 1_500), frame(10_000, 1_000, 0), { startedAt: 0 });
    expect(line).toMatch(/^\[progress\] t=12s fetched=0 \(0\.0\/s\) published=3000 \(1000\/s\)/);
    expect(line).toContain('lag=120 staged=3 dlq=1 analytics=1500');
    expect(line).not.toContain('%');
  });

  it('prints plain lines (no ANSI) when the stream is not a TTY', async () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let output = '';
    (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (output += chunk.toString()));
    const running = startTerminalProgress({
      metrics: () => ({ RecordsPublished: { sum: 5, samples: 1 } }),
      progress: async () => progress(5),
      expectedRecords: 10,
      stream,
      lineEveryMs: 20,
    });
    await expect.poll(() => output.split('\n').length, { timeout: 2_000 }).toBeGreaterThan(2);
    await running.stop();
    expect(output).toContain('[progress]');
    expect(output).toContain('analytics=5/10 (50%)');
    expect(output).not.toContain('\x1b[');
  });

  it('redraws in place on a TTY', async () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean };
    stream.isTTY = true;
    let output = '';
    (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (output += chunk.toString()));
    const running = startTerminalProgress({
      metrics: () => ({}),
      progress: async () => progress(1),
      stream,
      redrawMs: 20,
    });
    await expect.poll(() => output.includes('\x1b[5A'), { timeout: 2_000 }).toBe(true);
    await running.stop();
  });
});
