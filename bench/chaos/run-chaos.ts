/** `npm run chaos`: the fault matrix on one durable local stack (docs/chaos.md). */
import { formatTimings, startLocalStack } from '../../localstack/stack/index';
import { machineInfo, runMain, writeResult } from '../cli';
import type { ScenarioVerdict } from './report';
import {
  buildReport,
  chaosScenarios,
  exitCodeOf,
  formatSummaryTable,
  formatVerdictLine,
  parseChaosOptions,
  selectScenarios,
  verdictOf,
  verdictOfError,
} from './report';

const say = (line: string): void => console.log(`[chaos] ${line}`);

runMain('chaos', async (onStop) => {
  let options, scenarios;
  try {
    options = parseChaosOptions(process.argv.slice(2));
    scenarios = selectScenarios(chaosScenarios, options.only);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const { records, quick, seed } = options;
  say(
    `${scenarios.length} scenarios, ${records} records each${quick ? ' (quick)' : ''}, seed ${seed}`,
  );
  const startedAt = new Date().toISOString();
  const stack = await startLocalStack({ durable: true, log: (line) => say(`stack: ${line}`) });
  onStop(() => stack.stop());
  say(`stack up (durable): ${formatTimings(stack.timings)}`);
  const verdicts: ScenarioVerdict[] = [];
  try {
    for (const scenario of scenarios) {
      const scenarioStart = Date.now();
      say(`${scenario.name}: ${scenario.fault} (${records} records)`);
      const log = (line: string) => say(`${scenario.name}: ${line.trim()}`);
      const verdict = await scenario.run({ stack, records, quick, seed, log }).then(
        (outcome) => verdictOf(scenario, outcome),
        (error: unknown) => verdictOfError(scenario, error, (Date.now() - scenarioStart) / 1000),
      );
      verdicts.push(verdict);
      console.log(formatVerdictLine(verdict));
    }
  } finally {
    await stack.stop();
  }
  const finishedAt = new Date().toISOString();
  const report = buildReport({ startedAt, finishedAt, options, machine: machineInfo(), verdicts });
  const file = writeResult(options.outDir, 'chaos', startedAt, report);
  console.log(`\n${formatSummaryTable(verdicts)}`);
  say(`report: ${file}`);
  return exitCodeOf(report.summary);
});
