/** What a chaos scenario is and the one way every scenario runs (docs/chaos.md, "Adding a scenario"). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRoute, FaultSettings } from '../../lambdas/mock-apis/faults';
import { FaultSettingsSchema } from '../../lambdas/mock-apis/faults';
import type { MockState } from '../../lambdas/mock-apis/mock-state';
import { entityNames } from '../../lambdas/mock-apis/dataset';
import type { EntityName } from '../../lambdas/mock-apis/dataset';
import type { DlqMessage } from '../../lambdas/shared/dlq';
import { DlqMessageSchema } from '../../lambdas/shared/dlq';
import { parseJson } from '../../lambdas/shared/config';
import type { RunningStack } from '../../localstack/stack/index';
import { checkDelivery } from '../harness/delivery-check';
import type {
  PipelineProgress,
  PipelineRun,
  PipelineRunOptions,
} from '../../localstack/start-pipeline';
import { startPipeline } from '../../localstack/start-pipeline';
import { readTopics } from '../limits/kafka';

export interface ChaosContext {
  /** Started with `durable: true`, so a restarted server keeps its data. */
  stack: Pick<RunningStack, 'endpoints' | 'restartServer'>;
  records: number;
  quick: boolean;
  seed: number;
  log(line: string): void;
}

/** What one scenario observed (the figures: docs/chaos.md, "What is measured"); report.ts judges it. */
export interface ScenarioOutcome {
  expectedUnique: number;
  received: number;
  lost: number;
  duplicated: number;
  dlqMessages: number;
  injectedPoison: number;
  /** When that is not just the poison (default `injectedPoison`). */
  expectedDlqMessages?: number;
  failedChecks?: string[];
  faultsInjected: string;
  elapsedSeconds: number;
  notes?: string[];
}

export interface ChaosScenario {
  name: string;
  fault: string;
  run(context: ChaosContext): Promise<ScenarioOutcome>;
}

/** A fault fired once Analytics holds `atDeliveredFraction` of the expected records. */
export interface TimedFault {
  atDeliveredFraction: number;
  inject(run: PipelineRun): Promise<string>;
}

/** The options are described in docs/chaos.md, "Adding a scenario". */
export interface ChaosDriveOptions {
  label: string;
  faults?: TimedFault[];
  pipeline?: Omit<PipelineRunOptions, 'endpoints' | 'label' | 'customers' | 'products'>;
  mockFaults?: FaultSettings;
  beforeStart?: (run: PipelineRun) => unknown;
  /** A string it returns is reported. */
  recover?: (run: PipelineRun) => Promise<unknown>;
  /** The first drain only waits for Kafka, staging and the runtime to settle: `recover` delivers the rest. */
  settleFirst?: boolean;
  inspect?: (run: PipelineRun) => Promise<string[]>;
  tallyRoutes?: FaultRoute[];
  paceSeconds?: number;
  /** POLLER_PAGE_SIZE (a tunable; paced sources set their own). */
  pageSize?: number;
  notes?: string[];
}

/** Drained: docs/chaos.md; a scenario that loses records ends at the timeout. */
export async function driveChaosPipeline(
  context: ChaosContext,
  options: ChaosDriveOptions,
): Promise<ScenarioOutcome> {
  const customers = Math.round((context.records * 2) / 3);
  const timeoutMs = (context.quick ? 300_000 : 600_000) + context.records * 20;
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  const pacing = options.paceSeconds
    ? paceSources(context.records, options.paceSeconds)
    : undefined;
  const mockFaults = FaultSettingsSchema.parse({ ...pacing?.faults, ...options.mockFaults });
  const pageSize = pacing?.pageSize ?? options.pageSize;
  const pollerEnv: Record<string, string> =
    pageSize === undefined ? {} : { POLLER_PAGE_SIZE: String(pageSize) };
  const run = await startPipeline({
    endpoints: context.stack.endpoints,
    label: options.label,
    customers,
    products: context.records - customers,
    seed: context.seed,
    ...options.pipeline,
    extraEnv: { pollCrm: pollerEnv, pollInventory: pollerEnv, ...options.pipeline?.extraEnv },
  });
  const notes = [...(options.notes ?? []), ...(pacing ? [pacing.description] : [])];
  if (pageSize !== undefined && !pacing) notes.push(`poller page size ${pageSize}`);
  const injected: string[] = [];
  const record = (kind: string, what: unknown): void => {
    if (typeof what !== 'string' || what === '') return;
    context.log(`  ${kind}: ${what}`);
    injected.push(what);
  };
  try {
    run.mock.state.setFaults(mockFaults);
    await options.beforeStart?.(run);
    // Hashing the whole data set is not free: the expected count is reused for a second.
    let expected = { count: 0, at: 0 };
    const expectedCount = (): number => {
      if (Date.now() - expected.at > 1_000) {
        expected = { count: checkDelivery(run.mock.state).expected, at: Date.now() };
      }
      return expected.count;
    };
    // The cheap gate first (old versions count too, so it is necessary, not sufficient).
    const allDelivered = (progress: PipelineProgress): boolean => {
      if (progress.stats.uniqueVersions < expectedCount()) return false;
      const check = checkDelivery(run.mock.state);
      return check.received >= check.expected;
    };
    const drain = (accept: (p: PipelineProgress) => boolean, minMs: number) =>
      run
        .waitUntilDrained({ accept, timeoutMs: Math.max(minMs, deadline - Date.now()) })
        .catch((error: unknown) => {
          notes.push(error instanceof Error ? error.message : String(error));
          return undefined;
        });
    const pending = [...(options.faults ?? [])].sort(
      (a, b) => a.atDeliveredFraction - b.atDeliveredFraction,
    );
    for (let next = pending.shift(); next && Date.now() < deadline;) {
      const progress = await run.progress().catch(() => undefined);
      const delivered = progress ? progress.stats.uniqueRecords / Math.max(1, expectedCount()) : 0;
      if (delivered < next.atDeliveredFraction) {
        await sleep(200);
        continue;
      }
      record('fault', await next.inject(run));
      next = pending.shift();
    }
    const settledFirst = options.settleFirst === true;
    const first = await drain((p) => settledFirst || allDelivered(p), 1_000);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    context.log(
      first
        ? `  ${settledFirst ? 'settled' : 'drained'} ${seconds} s after the start`
        : '  did not drain before the timeout',
    );
    let settled = first;
    if (options.recover) {
      record('recovery', await options.recover(run));
      settled = await drain(allDelivered, 60_000);
    }
    // Every scenario must end settled: a stage that never recovered fails it. A fresh snapshot
    // after a drain would race the incremental polls, which re-read the overlap window (at least
    // the watermark's own record, the consumer dedupes it) and so show a lag of 1 for a moment.
    const final = settled ?? (await run.progress());
    const failedChecks = [
      final.consumerLag > 0 &&
        `merge-consumer mapping did not recover: consumer lag ${final.consumerLag}`,
      final.stagedObjects > 0 &&
        `flush did not recover: ${final.stagedObjects} objects still staged`,
      ...((await options.inspect?.(run)) ?? []),
    ].filter((check) => typeof check === 'string');
    const check = checkDelivery(run.mock.state);
    if (check.lostSample.length > 0) notes.push(`lost, e.g. ${check.lostSample.join(', ')}`);
    const { deletes } = check;
    if (deletes.expected > 0)
      notes.push(`deletes: ${deletes.received}/${deletes.expected} arrived`);
    if (run.failures.length > 0) notes.push(`last failure: ${String(run.failures.at(-1))}`);
    const { partialFailures, functionErrors, onFailureRecords } = run.mappingFailures;
    const mapping = `merge-consumer mapping: ${functionErrors} failed invocations, ${partialFailures} partial failures, ${onFailureRecords} records to the on-failure topic`;
    if (partialFailures + functionErrors + onFailureRecords > 0) notes.push(mapping);
    const restarts = run.mappingRestarts;
    const rejoined = `merge-consumer mapping rejoined after a kafkajs crash (${restarts.length} attempts; last: ${String(restarts.at(-1))})`;
    if (restarts.length > 0) notes.push(rejoined);
    if (options.tallyRoutes) injected.push(describeFaultTally(run.mock.state, options.tallyRoutes));
    return {
      expectedUnique: check.expected,
      received: check.received,
      lost: check.lost,
      duplicated: check.duplicated,
      dlqMessages: final.dlqMessages,
      injectedPoison: check.corrupt,
      faultsInjected: injected.join('; ') || 'none',
      elapsedSeconds: (Date.now() - startedAt) / 1000,
      ...(failedChecks.length > 0 ? { failedChecks } : {}),
      ...(notes.length > 0 ? { notes } : {}),
    };
  } finally {
    await run.stop();
  }
}

/** What the mock did to a route's requests, e.g. "CRM: 23 answered 5xx of 118 requests". */
function describeFaultTally(state: MockState, routes: readonly FaultRoute[]): string {
  const labels = { crm: 'CRM', inventory: 'Inventory', analytics: 'Analytics' };
  return routes
    .map((route) => {
      const { requests, errors, rateLimited, outage, latencySpikes } = state.faultTally[route];
      const suffered = [
        `${errors} answered 5xx`,
        `${rateLimited} answered 429`,
        `${outage} answered 503 (outage)`,
        `${latencySpikes} delayed by a spike`,
      ].filter((what) => !what.startsWith('0 '));
      return `${labels[route]}: ${suffered.join(', ') || 'nothing injected'} of ${requests} requests`;
    })
    .join('; ');
}

const percent = (fraction: number): string => `${Math.round(fraction * 100)} % delivered`;

/** Mock fault settings from `at` on (validated now, so a typo fails before the run). */
export function setFaultsAt(at: number, settings: FaultSettings, what: string): TimedFault {
  const parsed = FaultSettingsSchema.parse(settings);
  return {
    atDeliveredFraction: at,
    inject: (run) => {
      run.mock.state.setFaults(parsed);
      return Promise.resolve(`${what} at ${percent(at)}`);
    },
  };
}

export function formatOffset(offsetMs: number): string {
  const seconds = Math.abs(offsetMs) / 1000;
  const sign = offsetMs < 0 ? '−' : '+';
  return seconds >= 3600 && seconds % 3600 === 0
    ? `${sign}${seconds / 3600} h`
    : `${sign}${seconds} s`;
}

/**
 * A `share` of each entity changes (or is soft-deleted), stamped `now + clockOffsetMs[entity]` (a
 * source clock that is off).
 */
export function sourceChange(
  at: number,
  share: number,
  clockOffsetMs: Partial<Record<EntityName, number>> = {},
  kind: 'mutate' | 'delete' = 'mutate',
): TimedFault {
  return {
    atDeliveredFraction: at,
    inject: (run) => {
      const { dataset } = run.mock.state;
      const now = Date.now();
      const parts = entityNames.map((entity) => {
        const offsetMs = clockOffsetMs[entity] ?? 0;
        const total = dataset.stores[entity].total;
        const count = Math.min(total, Math.max(1, Math.round(total * share)));
        const changed = dataset.change(entity, count, now + offsetMs, kind).length;
        return `${changed} ${entity}${offsetMs === 0 ? '' : ` (clock ${formatOffset(offsetMs)})`}`;
      });
      const what = kind === 'delete' ? 'soft-deleted' : 'changed';
      return Promise.resolve(`${what} ${parts.join(' + ')} at ${percent(at)}`);
    },
  };
}

/**
 * A full sync of at least `minSyncSeconds` (each page at most 2 s late, far from the HTTP timeout):
 * otherwise "kill the broker at 30 % delivered" fires after a small data set was delivered.
 */
export function paceSources(records: number, minSyncSeconds: number) {
  const pageSize = 100;
  // Customers are 2/3 of the data set, so the CRM poller pages the most.
  const crmPages = Math.max(1, Math.ceil((records * 2) / 3 / pageSize));
  const latencyMs = Math.min(2_000, Math.ceil((minSyncSeconds * 1000) / crmPages));
  return {
    pageSize,
    faults: { crm: { latencyMs }, inventory: { latencyMs } } satisfies FaultSettings,
    description: `sources paced: ${pageSize} records per page, ${latencyMs} ms per page`,
  };
}

/** A DLQ topic message that is not a DlqMessage is itself a finding, not a reason to stop. */
export type DlqEntry = { ok: true; message: DlqMessage } | { ok: false; offset: string };

export async function readDlq(run: PipelineRun, brokers: string): Promise<DlqEntry[]> {
  return (await readTopics(brokers, [run.names.dlqTopic])).map(({ value, offset }) => {
    const read = parseJson(DlqMessageSchema, value.toString('utf8'), 'DlqMessageSchema');
    return 'data' in read ? { ok: true, message: read.data } : { ok: false, offset };
  });
}
