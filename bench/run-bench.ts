/**
 * `npm run bench`: starts one no-Docker stack, runs the benchmark scenarios on it
 * (bench/scenarios/run-all.ts), writes bench/results/bench-<timestamp>.json and .md and prints
 * the table. Exits non-zero when scenario 1 lost or duplicated a record, or a scenario failed.
 * Options: see `benchUsage` (bench/scenarios/bench-options.ts).
 */
import { startLocalStack } from '../localstack/stack/index';
import { benchFailures, runBench } from './scenarios/run-all';
import { parseBenchOptions } from './scenarios/bench-options';
import { terminalReport } from './report/terminal-report';
import { writeResults } from './report/write-results';

const say = (line: string): void => console.log(`[bench] ${line}`);

async function main(): Promise<number> {
  // Lambda runs a current Node.js; the SDK's "upgrade Node 20" notice is local noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const settings = parseBenchOptions(process.argv.slice(2));
  say(`starting the local stack (Kafka, DynamoDB Local, S3Mock; emulator JVMs: ${settings.jvm})`);
  const stack = await startLocalStack({ jvm: settings.jvm, log: (line) => say(line) });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stack.stop());
  // Ctrl-C: stop the servers, then die of the signal (the stack's exit hook is the last resort).
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping the stack`);
    void stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runBench({
      endpoints: stack.endpoints,
      serverPids: { ...stack.processes.servers },
      settings,
      log: say,
    });
    const files = writeResults(result, settings.outDir);
    console.log(terminalReport(result, files));
    const failures = benchFailures(result);
    for (const failure of failures) console.error(`[bench] FAIL: ${failure}`);
    return failures.length > 0 ? 1 : 0;
  } finally {
    await stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
