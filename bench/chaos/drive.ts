import type { PipelineProgress } from '../../localstack/runtime/progress';
import { checkDelivery } from '../harness/delivery-check';
import type { PipelineRun, PipelineRunOptions } from '../harness/pipeline-run';
import { startPipelineRun } from '../harness/pipeline-run';
import { checkSettled } from './settled-check';
import type { ChaosContext, ScenarioOutcome } from './scenario';

/** A fault fired once Analytics holds `atDeliveredFraction` of the expected records. */
export interface TimedFault {
  /** 0 fires before anything is delivered (right after the runtime started). */
  atDeliveredFraction: number;
  /** Does the damage; returns what it did, with figures, for the report. */
  inject(run: PipelineRun): Promise<string>;
}

export interface ChaosDriveOptions {
  /** Part of the resource names. */
  label: string;
  faults?: TimedFault[];
  /** Anything startPipelineRun accepts besides the stack, the label and the data set size. */
  pipeline?: Omit<PipelineRunOptions, 'endpoints' | 'label' | 'customers' | 'products'>;
  /** Before the data set is served: e.g. set mock faults on run.mock.state. */
  beforeStart?: (run: PipelineRun) => Promise<void> | void;
  /**
   * After the first drain (or a timeout of it): the recovery an operator would run, e.g. a redrive.
   * Returns extra fault text; the pipeline is drained again afterwards.
   */
  recover?: (run: PipelineRun) => Promise<string | void>;
  /**
   * What the first drain waits for. `delivered` (default): every expected record at Analytics.
   * `settled`: nothing left in Kafka, staging or the runtime, whatever Analytics holds — for a
   * scenario whose `recover` is what delivers the rest (e.g. a redrive of parked payloads).
   */
  firstDrain?: 'delivered' | 'settled';
  /** Poison injected on purpose; each must reach the DLQ exactly once. */
  injectedPoison?: (run: PipelineRun) => number;
  /**
   * After the last drain, before the pipeline stops: scenario-specific checks (e.g. read the DLQ
   * topic). Returns the checks that failed; they fail the verdict.
   */
  inspect?: (run: PipelineRun) => Promise<string[]>;
  /** Default: 10 minutes (5 with `--quick`) plus 20 ms per record. */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a count of expected records is reused: hashing the whole data set is not free. */
const expectedCountTtlMs = 1_000;

/**
 * Whether Analytics holds the current version of every expected record. The cheap gate first:
 * Analytics must hold at least as many distinct versions as there are expected records (old
 * versions count too, so it is necessary, not sufficient); only then the full comparison, which
 * hashes every record. Counting entities instead (`uniqueRecords`) would call a run drained before
 * a record changed mid-run reached Analytics in its new version.
 */
function deliveryTracker(run: PipelineRun): {
  expected(): number;
  allDelivered(progress: PipelineProgress): boolean;
} {
  let cached: { count: number; at: number } | undefined;
  const expected = (): number => {
    if (cached === undefined || Date.now() - cached.at > expectedCountTtlMs)
      cached = { count: checkDelivery(run.mock.state).expected, at: Date.now() };
    return cached.count;
  };
  return {
    expected,
    allDelivered(progress) {
      if (progress.stats.uniqueVersions < expected()) return false;
      const check = checkDelivery(run.mock.state);
      return check.received >= check.expected;
    },
  };
}

/**
 * One chaos scenario's pipeline: start it, fire the faults as delivery progresses, let it drain,
 * run the recovery, drain again, and compare the source's state with what Analytics holds.
 * Drained means every expected record arrived and nothing is left in Kafka, staging or the mapping;
 * a scenario that loses records therefore ends at the timeout and reports what is missing.
 */
export async function driveChaosPipeline(
  context: ChaosContext,
  options: ChaosDriveOptions,
): Promise<ScenarioOutcome> {
  const customers = Math.round((context.records * 2) / 3);
  const products = context.records - customers;
  // A quick run drains in about a minute; one that has not after five has lost something, and
  // CI should not spend ten minutes proving it.
  const timeoutMs = options.timeoutMs ?? (context.quick ? 300_000 : 600_000) + context.records * 20;
  const startedAt = Date.now();
  const run = await startPipelineRun({
    endpoints: context.stack.endpoints,
    label: options.label,
    customers,
    products,
    seed: context.seed,
    ...options.pipeline,
  });
  const notes: string[] = [];
  const injected: string[] = [];
  try {
    await options.beforeStart?.(run);
    const delivery = deliveryTracker(run);
    const expected = delivery.expected;
    const pending = [...(options.faults ?? [])].sort(
      (a, b) => a.atDeliveredFraction - b.atDeliveredFraction,
    );
    const deadline = startedAt + timeoutMs;
    let firstDrain: PipelineProgress | undefined;
    while (pending.length > 0 && Date.now() < deadline) {
      const next = pending[0]!;
      const progress = await run.progress().catch(() => undefined);
      const delivered = progress ? progress.stats.uniqueRecords / Math.max(1, expected()) : 0;
      if (delivered >= next.atDeliveredFraction) {
        pending.shift();
        const what = await next.inject(run);
        context.log(`  fault: ${what}`);
        injected.push(what);
      } else {
        await sleep(200);
      }
    }
    try {
      firstDrain = await run.waitUntilDrained({
        accept: (p) => options.firstDrain === 'settled' || delivery.allDelivered(p),
        timeoutMs: Math.max(1_000, deadline - Date.now()),
      });
      context.log(
        `  ${options.firstDrain === 'settled' ? 'settled' : 'drained'} ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start`,
      );
    } catch (error) {
      notes.push(error instanceof Error ? error.message : String(error));
    }
    if (options.recover) {
      const what = await options.recover(run);
      if (what) {
        context.log(`  recovery: ${what}`);
        injected.push(what);
      }
      try {
        await run.waitUntilDrained({
          accept: (p) => delivery.allDelivered(p),
          timeoutMs: Math.max(60_000, deadline - Date.now()),
        });
      } catch (error) {
        notes.push(error instanceof Error ? error.message : String(error));
      }
    } else if (firstDrain === undefined) {
      context.log('  did not drain before the timeout');
    }
    // Every scenario must end settled, whatever its own checks: a stage that never recovered fails it.
    const failedChecks = [...(await checkSettled(run)), ...((await options.inspect?.(run)) ?? [])];
    const final = await run.progress();
    const check = checkDelivery(run.mock.state);
    if (check.lostSample.length > 0) notes.push(`lost, e.g. ${check.lostSample.join(', ')}`);
    if (run.failures.length > 0) notes.push(`last failure: ${run.failures.at(-1)}`);
    const { partialFailures, functionErrors, onFailureRecords } = run.mappingFailures;
    if (partialFailures + functionErrors + onFailureRecords > 0) {
      notes.push(
        `merge-consumer mapping: ${functionErrors} failed invocations, ${partialFailures} partial ` +
          `failures, ${onFailureRecords} records to the on-failure topic`,
      );
    }
    if (run.mappingRestarts.length > 0) {
      notes.push(
        `merge-consumer mapping rejoined after a kafkajs crash (${run.mappingRestarts.length} attempts; ` +
          `last: ${run.mappingRestarts.at(-1)})`,
      );
    }
    return {
      expectedUnique: check.expected,
      received: check.received,
      lost: check.lost,
      duplicated: check.duplicated,
      dlqMessages: final.dlqMessages,
      injectedPoison: (options.injectedPoison?.(run) ?? 0) + check.corrupt,
      faultsInjected: injected.join('; ') || 'none',
      elapsedSeconds: (Date.now() - startedAt) / 1000,
      ...(failedChecks.length > 0 ? { failedChecks } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await run.stop();
  }
}
