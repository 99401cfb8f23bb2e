import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeResult } from '../cli';
import type { ScenarioVerdict } from './report';
import {
  buildReport,
  exitCodeOf,
  formatSummaryTable,
  formatVerdictLine,
  summarize,
} from './report';

const verdict = (overrides: Partial<ScenarioVerdict>): ScenarioVerdict => ({
  name: 'crm-5xx',
  fault: 'CRM answers HTTP 500 to 20 % of requests',
  expectedUnique: 1500,
  received: 1500,
  lost: 0,
  duplicated: 0,
  dlqMessages: 0,
  injectedPoison: 0,
  faultsInjected: 'CRM: 9 answered 5xx of 40 requests',
  elapsedSeconds: 31.25,
  verdict: 'pass',
  reasons: [],
  ...overrides,
});

const passed = verdict({});
const poison = verdict({ name: 'poison', dlqMessages: 15, injectedPoison: 15 });
const lossy = verdict({
  name: 'kafka-sigkill',
  received: 1497,
  lost: 3,
  duplicated: 2,
  verdict: 'fail',
  reasons: ['3 records lost', '2 records duplicated'],
});
const outage = verdict({
  name: 'analytics-outage-redrive',
  dlqMessages: 4,
  expectedDlqMessages: 4,
});

describe('chaos report', () => {
  it('summarizes scenarios, passes, failures and the summed lost and duplicated', () => {
    expect(summarize([passed, lossy, poison])).toEqual({
      scenarios: 3,
      passed: 2,
      failed: 1,
      lost: 3,
      duplicated: 2,
    });
    expect(summarize([])).toEqual({ scenarios: 0, passed: 0, failed: 0, lost: 0, duplicated: 0 });
  });

  it('exits non-zero when any scenario failed', () => {
    expect(exitCodeOf(summarize([passed, poison]))).toBe(0);
    expect(exitCodeOf(summarize([passed, lossy]))).toBe(1);
    expect(exitCodeOf(summarize([verdict({ verdict: 'fail', reasons: ['DLQ'] })]))).toBe(1);
  });

  it('prints one line per scenario, with the reasons of a failure under it', () => {
    expect(formatVerdictLine(passed)).toBe(
      '[chaos] PASS crm-5xx: 1500/1500 received, lost 0, duplicated 0, DLQ 0/0 expected, 31.3 s',
    );
    expect(formatVerdictLine(lossy).split('\n')).toEqual([
      '[chaos] FAIL kafka-sigkill: 1497/1500 received, lost 3, duplicated 2, DLQ 0/0 expected, 31.3 s',
      '        3 records lost',
      '        2 records duplicated',
    ]);
  });

  it('prints an aligned Markdown table with the expected DLQ per scenario and a summary line', () => {
    const table = formatSummaryTable([passed, poison, outage, lossy]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(
      /^\| scenario +\| fault +\| expected \| received \| lost \| duplicated \| DLQ \| expected DLQ \| poison \| verdict \| seconds \|$/,
    );
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+: \|/);
    const rows = lines.slice(2, 6);
    expect(new Set(lines.slice(0, 6).map((line) => line.length)).size).toBe(1);
    expect(rows[1]).toMatch(/\| poison .*\| +15 \| +15 \| +15 \| pass +\|/);
    expect(rows[2]).toMatch(/\| analytics-outage-redrive .*\| +4 \| +4 \| +0 \| pass +\|/);
    expect(rows[3]).toMatch(
      /\| kafka-sigkill .*\| +1500 \| +1497 \| +3 \| +2 \|.*\| fail +\| +31\.3 \|/,
    );
    expect(lines.at(-1)).toBe('4 scenarios: 3 passed, 1 failed; lost 3, duplicated 2');
  });

  it('shortens long faults in the table only', () => {
    const long = verdict({ fault: 'x'.repeat(200) });
    expect(formatSummaryTable([long])).toContain(`${'x'.repeat(63)}…`);
    expect(buildReport(reportParts([long])).verdicts[0]!.fault).toHaveLength(200);
  });

  it('builds the JSON report with the summary on top, and a sortable file name', () => {
    const report = buildReport(reportParts([passed, lossy]));
    expect(Object.keys(report)[0]).toBe('summary');
    expect(report.summary).toEqual(summarize([passed, lossy]));
    const dir = mkdtempSync(join(tmpdir(), 'chaos-report-'));
    try {
      const file = writeResult(dir, 'chaos', '2026-11-23T22:05:34.612Z', report);
      expect(file).toBe(join(dir, 'chaos-2026-11-23T22-05-34-612Z.json'));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(report);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function reportParts(verdicts: ScenarioVerdict[]) {
  return {
    startedAt: '2026-11-23T22:00:00.000Z',
    finishedAt: '2026-11-23T22:08:00.000Z',
    options: { records: 1500, quick: true, seed: 42, outDir: 'bench/results' },
    machine: {
      platform: 'linux x64',
      cpus: 2,
      cpuModel: 'cpu',
      memoryGiB: 8,
      node: 'v20',
      java: 'openjdk 17',
      commit: 'abc',
      dirty: false,
    },
    verdicts,
  };
}
