import type { FaultRoute, FaultSettings } from '../../../lambdas/mock-apis/faults';
import { FaultSettingsSchema } from '../../../lambdas/mock-apis/faults';
import { pipeline } from '../../../lambdas/shared/pipeline';
import type { PipelineRun } from '../../harness/pipeline-run';
import type { TimedFault } from '../drive';
import { driveChaosPipeline } from '../drive';
import { describeFaultTally } from '../fault-tally';
import type { ChaosContext, ChaosScenario, ScenarioOutcome } from '../scenario';
import { sourceChange } from '../source-changes';

/** Share of each source's records changed mid-run, so incremental polls run under the fault too. */
const midRunChangeShare = 0.02;

/** Requests per source a full sync should take at least, so a 20 % fault rate meets several. */
const minFullSyncPages = 15;

/**
 * Poller page size for a data set: production's 500 when the CRM full sync takes enough pages
 * anyway (20,000 records), smaller for a quick run, so the faults meet more than a handful of
 * requests. A tunable (POLLER_PAGE_SIZE), not a change of behaviour.
 */
export function faultExposurePageSize(records: number): number {
  const customers = Math.round((records * 2) / 3);
  return Math.min(pipeline.poller.pageSize, Math.max(20, Math.floor(customers / minFullSyncPages)));
}

/** A fault setting that takes effect once Analytics holds `atDeliveredFraction` of the records. */
export function setFaultsAt(
  atDeliveredFraction: number,
  settings: FaultSettings,
  what: string,
): TimedFault {
  const parsed = FaultSettingsSchema.parse(settings);
  return {
    atDeliveredFraction,
    inject: (run: PipelineRun) => {
      run.mock.state.setFaults(parsed);
      return Promise.resolve(`${what} at ${Math.round(atDeliveredFraction * 100)} % delivered`);
    },
  };
}

interface SourceFaultPlan {
  name: string;
  fault: string;
  /** In force from before the first poll (validated here, so a typo fails before any run). */
  initial: FaultSettings;
  /** Later changes of the settings, and the mid-run source changes. */
  faults: TimedFault[];
  /** The routes whose tally the report shows. */
  routes: FaultRoute[];
}

/**
 * One pipeline run with mock-API faults: the settings in force from the first poll, later
 * changes as delivery progresses, and 2 % of the records changing halfway so the incremental
 * polls after the full sync face the faults as well. Pages are sized so that even a quick run's
 * full sync takes ~15 requests per source. The report carries what the mock actually
 * did (requests answered 5xx / 429 / 503, delayed) next to the configured rates.
 */
function sourceFaultScenario(plan: SourceFaultPlan): ChaosScenario {
  const initial = FaultSettingsSchema.parse(plan.initial);
  return {
    name: plan.name,
    fault: plan.fault,
    async run(context: ChaosContext): Promise<ScenarioOutcome> {
      let observed: PipelineRun | undefined;
      const pageSize = { POLLER_PAGE_SIZE: String(faultExposurePageSize(context.records)) };
      const outcome = await driveChaosPipeline(context, {
        label: plan.name,
        pipeline: { extraEnv: { pollCrm: pageSize, pollInventory: pageSize } },
        beforeStart: (run) => {
          observed = run;
          run.mock.state.setFaults(initial);
        },
        faults: [
          ...plan.faults,
          sourceChange({ atDeliveredFraction: 0.5, share: midRunChangeShare }),
        ],
      });
      const tally = observed ? describeFaultTally(observed.mock.state, plan.routes) : 'no tally';
      return {
        ...outcome,
        faultsInjected: `${outcome.faultsInjected}; ${tally}`,
        notes: [...(outcome.notes ?? []), `poller page size ${pageSize.POLLER_PAGE_SIZE}`],
      };
    },
  };
}

/** Longer than flush's HTTP timeout, so a delayed Analytics POST is abandoned and re-posted. */
const analyticsSpikeMs = pipeline.http.timeoutMs + 1_000;
/** Local poll interval: the scheduled rate in local minutes of `tickMs` (1 s in chaos runs). */
const localPollIntervalMs = pipeline.schedules['poll-crm'].rateMinutes * 1_000;
/** Longer than one poll interval: at least one scheduled poll of each source meets the outage. */
const sourceOutageMs = Math.max(15_000, 3 * localPollIntervalMs);

const crm5xx = sourceFaultScenario({
  name: 'crm-5xx',
  fault: 'CRM answers HTTP 500 to 20 % of requests for the whole run',
  initial: { crm: { errorRate: 0.2, status: 500 } },
  faults: [],
  routes: ['crm'],
});

const inventory5xx = sourceFaultScenario({
  name: 'inventory-5xx',
  fault: 'Inventory answers HTTP 502 to 20 % of requests for the whole run',
  initial: { inventory: { errorRate: 0.2, status: 502 } },
  faults: [],
  routes: ['inventory'],
});

const rateLimitStorm = sourceFaultScenario({
  name: 'rate-limit-storm',
  fault:
    'two 429 storms with Retry-After on CRM and Inventory: 50 % (Retry-After 1 s) until 40 % delivered, 70 % (Retry-After 2 s) from 60 %',
  initial: {
    crm: { rateLimitRate: 0.5, retryAfterSeconds: 1 },
    inventory: { rateLimitRate: 0.5, retryAfterSeconds: 1 },
  },
  faults: [
    setFaultsAt(0.4, {}, 'first storm over'),
    setFaultsAt(
      0.6,
      {
        crm: { rateLimitRate: 0.7, retryAfterSeconds: 2 },
        inventory: { rateLimitRate: 0.7, retryAfterSeconds: 2 },
      },
      'second storm',
    ),
  ],
  routes: ['crm', 'inventory'],
});

const latencySpikes = sourceFaultScenario({
  name: 'latency-spikes',
  fault: `20 % of CRM and Inventory requests delayed 3 s; 20 % of Analytics POSTs delayed ${analyticsSpikeMs / 1000} s (past flush's HTTP timeout)`,
  initial: {
    crm: { latencySpikeRate: 0.2, latencySpikeMs: 3_000 },
    inventory: { latencySpikeRate: 0.2, latencySpikeMs: 3_000 },
    analytics: { latencySpikeRate: 0.2, latencySpikeMs: analyticsSpikeMs },
  },
  faults: [],
  routes: ['crm', 'inventory', 'analytics'],
});

/** Records change during the outage, so the first polls after it must still find them. */
const outageFault: TimedFault = {
  atDeliveredFraction: 0.25,
  inject: (run: PipelineRun) => {
    const until = new Date(Date.now() + sourceOutageMs).toISOString();
    run.mock.state.setFaults({ crm: { outageUntil: until }, inventory: { outageUntil: until } });
    return Promise.resolve(
      `CRM and Inventory down (503 + Retry-After) for ${sourceOutageMs / 1000} s from 25 % delivered`,
    );
  },
};

const sourceOutage = sourceFaultScenario({
  name: 'source-outage',
  fault: `CRM and Inventory outage of ${sourceOutageMs / 1000} s (> one ${localPollIntervalMs / 1000} s poll interval) while records change, then recovery`,
  initial: {},
  faults: [outageFault, sourceChange({ atDeliveredFraction: 0.3, share: midRunChangeShare })],
  routes: ['crm', 'inventory'],
});

export const sourceFaultScenarios: ChaosScenario[] = [
  crm5xx,
  inventory5xx,
  rateLimitStorm,
  latencySpikes,
  sourceOutage,
];
