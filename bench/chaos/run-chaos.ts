/**
 * `npm run chaos [-- --records N | --quick] [--only a,b] [--seed N] [--out-dir DIR]`
 *
 * Runs the fault matrix on one durable local stack, one scenario after another, each on pipeline
 * resources of its own; prints a line per scenario and a summary table, writes
 * `<out-dir>/chaos-<timestamp>.json`, and exits non-zero if any scenario lost or duplicated a
 * record or missed its DLQ expectation. Ctrl-C stops the stack (no JVM is left behind).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { RunningStack } from '../../localstack/stack/index';
import { formatTimings, startLocalStack } from '../../localstack/stack/index';
import { chaosStackOf } from './chaos-stack';
import type { ChaosOptions } from './options';
import { parseChaosOptions, selectScenarios } from './options';
import { chaosScenarios } from './registry';
import type { MachineInfo } from './report';
import {
  buildReport,
  exitCodeOf,
  formatSummaryTable,
  formatVerdictLine,
  reportFileName,
} from './report';
import type { ChaosScenario, ScenarioVerdict } from './scenario';
import { verdictOf, verdictOfError } from './scenario';

const say = (line: string): void => console.log(`[chaos] ${line}`);

/** How long a Ctrl-C waits for the servers to stop before the exit hook SIGKILLs them. */
const interruptGraceMs = 15_000;

function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

/** The commit the figures belong to; `-dirty` when the working tree differs from it. */
function commitSha(): string | undefined {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim();
    return dirty === '' ? sha : `${sha}-dirty`;
  } catch {
    return undefined;
  }
}

async function runScenario(
  scenario: ChaosScenario,
  stack: RunningStack,
  options: ChaosOptions,
): Promise<ScenarioVerdict> {
  const startedAt = Date.now();
  say(`${scenario.name}: ${scenario.fault} (${options.records} records)`);
  try {
    const outcome = await scenario.run({
      stack: chaosStackOf(stack),
      records: options.records,
      quick: options.quick,
      seed: options.seed,
      log: (line) => say(`${scenario.name}: ${line.trim()}`),
    });
    return verdictOf(scenario, outcome);
  } catch (error) {
    return verdictOfError(scenario, error, (Date.now() - startedAt) / 1000);
  }
}

async function main(): Promise<number> {
  // Lambda runs a current Node.js; the SDK's "upgrade Node 20" notice is local noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: ChaosOptions;
  let scenarios: ChaosScenario[];
  try {
    options = parseChaosOptions(process.argv.slice(2));
    scenarios = selectScenarios(chaosScenarios, options.only);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }

  let stack: RunningStack | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130); // second Ctrl-C: the exit hook SIGKILLs the servers
    interrupted = true;
    say(`${signal}: stopping the local stack`);
    setTimeout(() => process.exit(130), interruptGraceMs).unref();
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  const verdicts: ScenarioVerdict[] = [];
  try {
    say(
      `${scenarios.length} scenarios, ${options.records} records each${options.quick ? ' (quick)' : ''}, seed ${options.seed}`,
    );
    stack = await startLocalStack({ durable: true, log: (line) => say(`stack: ${line}`) });
    say(`stack up (durable): ${formatTimings(stack.timings)}`);
    for (const scenario of scenarios) {
      if (interrupted) break;
      const verdict = await runScenario(scenario, stack, options);
      verdicts.push(verdict);
      console.log(formatVerdictLine(verdict));
    }
  } finally {
    await stack?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const report = buildReport({
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    machine: machineInfo(),
    commit: commitSha(),
    verdicts,
  });
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, reportFileName(startedAt));
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${formatSummaryTable(verdicts)}`);
  say(`report: ${file}`);
  return exitCodeOf(report.summary);
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is stopped; a lingering client socket must not keep the run from exiting.
    setTimeout(() => process.exit(code), 3_000).unref();
  },
  (error: unknown) => {
    console.error('[chaos] failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 3_000).unref();
  },
);
