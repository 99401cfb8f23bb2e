import { z } from 'zod';
import { commaList, parseCli, table } from '../cli';
import type { ChaosScenario, ScenarioOutcome } from './drive';
import { analyticsOutageRedrive } from './scenarios/analytics-outage';
import { crashScenarios, restartScenarios } from './scenarios/crashes';
import { poisonScenario } from './scenarios/poison';
import { clockSkewScenario, sourceFaultScenarios } from './scenarios/sources';

/** In the order they run: those that leave the servers alone first, server restarts (the most disruptive) last. */
export const chaosScenarios: readonly ChaosScenario[] = [
  ...sourceFaultScenarios,
  analyticsOutageRedrive,
  poisonScenario,
  clockSkewScenario,
  ...crashScenarios,
  ...restartScenarios,
];

export const defaultRecords = 20_000;
export const quickRecords = 1_500;

const chaosUsage =
  'usage: npm run chaos -- [--records N] [--quick] [--only name,name] [--seed N] [--out-dir DIR]';

const OptionsSchema = z.strictObject({
  records: z.coerce.number().int().min(30).max(1_000_000).optional(),
  quick: z.boolean().default(false),
  only: z
    .string()
    .transform(commaList)
    .pipe(z.array(z.string().regex(/^[a-z0-9-]+$/, 'scenario names are kebab-case')).min(1))
    .optional(),
  seed: z.coerce.number().int().min(0).max(0xffffffff).default(42),
  'out-dir': z.string().min(1).default('bench/results'),
});

/** `--quick` means 1,500 records unless `--records` is given too (docs/chaos.md). */
export function parseChaosOptions(argv: readonly string[]) {
  const { 'out-dir': outDir, ...raw } = parseCli(argv, OptionsSchema, chaosUsage);
  return { ...raw, records: raw.records ?? (raw.quick ? quickRecords : defaultRecords), outDir };
}

/** The scenarios `--only` picks, in the registry's order. */
export function selectScenarios<T extends { name: string }>(
  registry: readonly T[],
  only: readonly string[] | undefined,
): T[] {
  if (only === undefined) return [...registry];
  const unknown = only.filter((name) => !registry.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    const known = registry.map((s) => s.name).join(', ');
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${known}`);
  }
  return registry.filter((scenario) => only.includes(scenario.name));
}

export interface ScenarioVerdict extends ScenarioOutcome {
  name: string;
  fault: string;
  verdict: 'pass' | 'fail';
  reasons: string[];
}

export const expectedDlqOf = (outcome: ScenarioOutcome): number =>
  outcome.expectedDlqMessages ?? outcome.injectedPoison;

/** Pass: nothing lost or duplicated, exactly the expected DLQ messages, every scenario check held. */
export function verdictOf(scenario: ChaosScenario, outcome: ScenarioOutcome): ScenarioVerdict {
  const reasons: string[] = [];
  if (outcome.lost > 0) reasons.push(`${outcome.lost} records lost`);
  if (outcome.duplicated > 0) reasons.push(`${outcome.duplicated} records duplicated`);
  if (outcome.received !== outcome.expectedUnique)
    reasons.push(`received ${outcome.received} of ${outcome.expectedUnique} expected`);
  const expectedDlq = expectedDlqOf(outcome);
  if (outcome.dlqMessages !== expectedDlq)
    reasons.push(
      outcome.expectedDlqMessages === undefined
        ? `${outcome.dlqMessages} DLQ messages for ${outcome.injectedPoison} injected poison`
        : `${outcome.dlqMessages} DLQ messages, expected ${expectedDlq}`,
    );
  reasons.push(...(outcome.failedChecks ?? []));
  const { name, fault } = scenario;
  return { name, fault, ...outcome, verdict: reasons.length === 0 ? 'pass' : 'fail', reasons };
}

/** A scenario that threw fails, with the error as the reason; its figures are unknown (zero). */
export function verdictOfError(
  scenario: ChaosScenario,
  error: unknown,
  elapsedSeconds: number,
): ScenarioVerdict {
  const zero = { expectedUnique: 0, received: 0, lost: 0, duplicated: 0, dlqMessages: 0 };
  const faultsInjected = 'unknown: the scenario did not finish';
  return {
    ...verdictOf(scenario, { ...zero, injectedPoison: 0, elapsedSeconds, faultsInjected }),
    notes: ['figures unknown: the scenario threw before reporting'],
    verdict: 'fail',
    reasons: [`scenario failed: ${error instanceof Error ? error.message : String(error)}`],
  };
}

export function summarize(verdicts: readonly ScenarioVerdict[]) {
  const count = (verdict: 'pass' | 'fail') => verdicts.filter((v) => v.verdict === verdict).length;
  const sum = (figure: 'lost' | 'duplicated') => verdicts.reduce((s, v) => s + v[figure], 0);
  return {
    scenarios: verdicts.length,
    passed: count('pass'),
    failed: count('fail'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
  };
}

/** chaos-<timestamp>.json: the summary on top, then the run's parts (docs/chaos.md). */
export function buildReport<Parts extends { verdicts: ScenarioVerdict[] }>(parts: Parts) {
  return { summary: summarize(parts.verdicts), ...parts };
}

export function exitCodeOf(summary: ReturnType<typeof summarize>): number {
  return summary.failed > 0 || summary.lost > 0 || summary.duplicated > 0 ? 1 : 0;
}
/** Printed as each scenario finishes, with the reasons of a failure under it. */
export function formatVerdictLine(v: ScenarioVerdict): string {
  const head =
    `[chaos] ${v.verdict.toUpperCase()} ${v.name}: ${v.received}/${v.expectedUnique} received, ` +
    `lost ${v.lost}, duplicated ${v.duplicated}, DLQ ${v.dlqMessages}/${expectedDlqOf(v)} expected, ` +
    `${v.elapsedSeconds.toFixed(1)} s`;
  return [head, ...v.reasons].join('\n        ');
}

/** The summary table and line (docs/chaos.md). */
export function formatSummaryTable(verdicts: readonly ScenarioVerdict[]): string {
  const { scenarios, passed, failed, lost, duplicated } = summarize(verdicts);
  const headers =
    'scenario,fault,expected,received,lost,duplicated,DLQ,expected DLQ,poison,verdict,seconds'.split(
      ',',
    );
  const rows = verdicts.map((v) => [
    v.name,
    v.fault.length <= 64 ? v.fault : `${v.fault.slice(0, 63)}…`,
    ...[v.expectedUnique, v.received, v.lost, v.duplicated, v.dlqMessages].map(String),
    ...[expectedDlqOf(v), v.injectedPoison].map(String),
    v.verdict,
    v.elapsedSeconds.toFixed(1),
  ]);
  const right = headers.map((_, column) => column >= 2 && column !== 9);
  const line = `${scenarios} scenarios: ${passed} passed, ${failed} failed; lost ${lost}, duplicated ${duplicated}`;
  return `${table(headers, rows, right)}\n\n${line}`;
}
