import type { ChaosOptions } from './options';
import type { ScenarioVerdict } from './scenario';
import { expectedDlqOf } from './scenario';

/** The top-level `summary` of chaos-<timestamp>.json. */
export interface ChaosSummary {
  scenarios: number;
  passed: number;
  failed: number;
  /** Summed over scenarios. */
  lost: number;
  duplicated: number;
}

export interface MachineInfo {
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
}

export interface ChaosReport {
  summary: ChaosSummary;
  startedAt: string;
  finishedAt: string;
  options: ChaosOptions;
  machine: MachineInfo;
  /** `git rev-parse HEAD`, with `-dirty` when the working tree had changes; undefined outside git. */
  commit: string | undefined;
  verdicts: ScenarioVerdict[];
}

export function summarize(verdicts: readonly ScenarioVerdict[]): ChaosSummary {
  return {
    scenarios: verdicts.length,
    passed: verdicts.filter((verdict) => verdict.verdict === 'pass').length,
    failed: verdicts.filter((verdict) => verdict.verdict === 'fail').length,
    lost: verdicts.reduce((sum, verdict) => sum + verdict.lost, 0),
    duplicated: verdicts.reduce((sum, verdict) => sum + verdict.duplicated, 0),
  };
}

/** The run's exit code: non-zero as soon as one scenario failed (lost, duplicated, DLQ, check). */
export function exitCodeOf(summary: ChaosSummary): number {
  return summary.failed > 0 || summary.lost > 0 || summary.duplicated > 0 ? 1 : 0;
}

/** The line printed as each scenario finishes. */
export function formatVerdictLine(verdict: ScenarioVerdict): string {
  const head =
    `[chaos] ${verdict.verdict.toUpperCase()} ${verdict.name}: ` +
    `${verdict.received}/${verdict.expectedUnique} received, lost ${verdict.lost}, ` +
    `duplicated ${verdict.duplicated}, DLQ ${verdict.dlqMessages}/${expectedDlqOf(verdict)} expected, ` +
    `${verdict.elapsedSeconds.toFixed(1)} s`;
  return verdict.reasons.length === 0
    ? head
    : `${head}\n        ${verdict.reasons.join('\n        ')}`;
}

const tableColumns: { title: string; right: boolean; cell: (v: ScenarioVerdict) => string }[] = [
  { title: 'scenario', right: false, cell: (v) => v.name },
  { title: 'fault', right: false, cell: (v) => shorten(v.fault, 64) },
  { title: 'expected', right: true, cell: (v) => String(v.expectedUnique) },
  { title: 'received', right: true, cell: (v) => String(v.received) },
  { title: 'lost', right: true, cell: (v) => String(v.lost) },
  { title: 'duplicated', right: true, cell: (v) => String(v.duplicated) },
  { title: 'DLQ', right: true, cell: (v) => String(v.dlqMessages) },
  { title: 'expected DLQ', right: true, cell: (v) => String(expectedDlqOf(v)) },
  { title: 'poison', right: true, cell: (v) => String(v.injectedPoison) },
  { title: 'verdict', right: false, cell: (v) => v.verdict },
  { title: 'seconds', right: true, cell: (v) => v.elapsedSeconds.toFixed(1) },
];

/**
 * The summary table, as a Markdown table with aligned columns: readable in a terminal and
 * pasteable into a pull request. "expected DLQ" is the injected poison unless a scenario expects
 * other DLQ messages too (the Analytics outage: one per parked payload).
 */
export function formatSummaryTable(verdicts: readonly ScenarioVerdict[]): string {
  const rows = verdicts.map((verdict) => tableColumns.map((column) => column.cell(verdict)));
  const summary = summarize(verdicts);
  const widths = tableColumns.map((column, index) =>
    Math.max(column.title.length, 3, ...rows.map((row) => row[index]!.length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells
      .map((cell, index) =>
        tableColumns[index]!.right ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!),
      )
      .join(' | ')} |`;
  const rule = `| ${widths
    .map((width, index) =>
      tableColumns[index]!.right ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
    )
    .join(' | ')} |`;
  return [
    line(tableColumns.map((column) => column.title)),
    rule,
    ...rows.map(line),
    '',
    `${summary.scenarios} scenarios: ${summary.passed} passed, ${summary.failed} failed; ` +
      `lost ${summary.lost}, duplicated ${summary.duplicated}`,
  ].join('\n');
}

export function buildReport(parts: Omit<ChaosReport, 'summary'>): ChaosReport {
  return { summary: summarize(parts.verdicts), ...parts };
}

/** `chaos-2026-11-23T22-05-34-612Z.json`: sortable, and valid on every file system. */
export function reportFileName(at: Date): string {
  return `chaos-${at.toISOString().replace(/[:.]/g, '-')}.json`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
