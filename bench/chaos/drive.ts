import type { PipelineProgress } from '../../localstack/runtime/progress';
import { checkDelivery } from '../harness/delivery-check';
import type { PipelineRun, PipelineRunOptions } from '../harness/pipeline-run';
import { startPipelineRun } from '../harness/pipeline-run';
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
  /** Poison injected on purpose; each must reach the DLQ exactly once. */
  injectedPoison?: (run: PipelineRun) => number;
  /** Default: 10 minutes plus 20 ms per record. */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  const timeoutMs = options.timeoutMs ?? 600_000 + context.records * 20;
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
    const expected = (): number => checkDelivery(run.mock.state).expected;
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
        accept: (p) => p.stats.uniqueRecords >= expected(),
        timeoutMs: Math.max(1_000, deadline - Date.now()),
      });
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
          accept: (p) => p.stats.uniqueRecords >= expected(),
          timeoutMs: Math.max(60_000, deadline - Date.now()),
        });
      } catch (error) {
        notes.push(error instanceof Error ? error.message : String(error));
      }
    } else if (firstDrain === undefined) {
      context.log('  did not drain before the timeout');
    }
    const final = await run.progress();
    const check = checkDelivery(run.mock.state);
    if (check.lostSample.length > 0) notes.push(`lost, e.g. ${check.lostSample.join(', ')}`);
    if (run.failures.length > 0) notes.push(`last failure: ${run.failures.at(-1)}`);
    return {
      expectedUnique: check.expected,
      received: check.received,
      lost: check.lost,
      duplicated: check.duplicated,
      dlqMessages: final.dlqMessages,
      injectedPoison: (options.injectedPoison?.(run) ?? 0) + check.corrupt,
      faultsInjected: injected.join('; ') || 'none',
      elapsedSeconds: (Date.now() - startedAt) / 1000,
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await run.stop();
  }
}
