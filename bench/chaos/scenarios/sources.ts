import type { FaultRoute, FaultSettings } from '../../../lambdas/mock-apis/faults';
import { pipeline } from '../../../lambdas/shared/pipeline';
import type { ChaosScenario, TimedFault } from '../drive';
import { driveChaosPipeline, formatOffset, setFaultsAt, sourceChange } from '../drive';

/**
 * Production's 500 at 20,000 records, smaller for a quick run, so a 20 % fault rate meets more than
 * a handful of requests (~15 per source): a tunable (POLLER_PAGE_SIZE), not a change of behaviour.
 */
export function faultExposurePageSize(records: number): number {
  const customers = Math.round((records * 2) / 3);
  return Math.min(pipeline.poller.pageSize, Math.max(20, Math.floor(customers / 15)));
}

/**
 * Mock-API faults, with 2 % of the records changing halfway (docs/chaos.md, "Mid-run changes"); the
 * report tallies the routes `initial` names.
 */
function sourceFaultScenario(plan: {
  name: string;
  fault: string;
  initial: FaultSettings;
  faults?: TimedFault[];
}): ChaosScenario {
  return {
    name: plan.name,
    fault: plan.fault,
    run: (context) =>
      driveChaosPipeline(context, {
        label: plan.name,
        pageSize: faultExposurePageSize(context.records),
        mockFaults: plan.initial,
        faults: [...(plan.faults ?? []), sourceChange(0.5, 0.02)],
        tallyRoutes: Object.keys(plan.initial) as FaultRoute[],
      }),
  };
}

/** Longer than flush's HTTP timeout, so a delayed Analytics POST is abandoned and re-posted. */
const analyticsSpikeMs = pipeline.http.timeoutMs + 1_000;
/** Local poll interval: the scheduled rate in local minutes of 1 s. */
const localPollIntervalMs = pipeline.schedules['poll-crm'].rateMinutes * 1_000;
/** Longer than one poll interval: at least one scheduled poll of each source meets the outage. */
const sourceOutageMs = Math.max(15_000, 3 * localPollIntervalMs);
const storm = (rate: number, retryAfterSeconds: number): FaultSettings => ({
  crm: { rateLimitRate: rate, retryAfterSeconds },
  inventory: { rateLimitRate: rate, retryAfterSeconds },
});

export const sourceFaultScenarios: ChaosScenario[] = [
  sourceFaultScenario({
    name: 'crm-5xx',
    fault: 'CRM answers HTTP 500 to 20 % of requests for the whole run',
    initial: { crm: { errorRate: 0.2, status: 500 } },
  }),
  sourceFaultScenario({
    name: 'inventory-5xx',
    fault: 'Inventory answers HTTP 502 to 20 % of requests for the whole run',
    initial: { inventory: { errorRate: 0.2, status: 502 } },
  }),
  sourceFaultScenario({
    name: 'rate-limit-storm',
    fault:
      'two 429 storms with Retry-After on CRM and Inventory: 50 % (Retry-After 1 s) until 40 % delivered, 70 % (Retry-After 2 s) from 60 %',
    initial: storm(0.5, 1),
    faults: [
      setFaultsAt(0.4, {}, 'first storm over'),
      setFaultsAt(0.6, storm(0.7, 2), 'second storm'),
    ],
  }),
  sourceFaultScenario({
    name: 'latency-spikes',
    fault: `20 % of CRM and Inventory requests delayed 3 s; 20 % of Analytics POSTs delayed ${analyticsSpikeMs / 1000} s (past flush's HTTP timeout)`,
    initial: {
      crm: { latencySpikeRate: 0.2, latencySpikeMs: 3_000 },
      inventory: { latencySpikeRate: 0.2, latencySpikeMs: 3_000 },
      analytics: { latencySpikeRate: 0.2, latencySpikeMs: analyticsSpikeMs },
    },
  }),
  sourceFaultScenario({
    name: 'deletes',
    fault:
      'CRM and Inventory answer 500/502 to 20 % of requests while 1 % of the records are soft-deleted at 60 % delivered (after 2 % changed at 50 %)',
    initial: { crm: { errorRate: 0.2, status: 500 }, inventory: { errorRate: 0.2, status: 502 } },
    faults: [sourceChange(0.6, 0.01, {}, 'delete')],
  }),
  sourceFaultScenario({
    name: 'source-outage',
    fault: `CRM and Inventory outage of ${sourceOutageMs / 1000} s (> one ${localPollIntervalMs / 1000} s poll interval) while records change, then recovery`,
    initial: { crm: {}, inventory: {} },
    faults: [
      {
        atDeliveredFraction: 0.25,
        inject: (run) => {
          const outageUntil = new Date(Date.now() + sourceOutageMs).toISOString();
          run.mock.state.setFaults({ crm: { outageUntil }, inventory: { outageUntil } });
          return Promise.resolve(
            `CRM and Inventory down (503 + Retry-After) for ${sourceOutageMs / 1000} s from 25 % delivered`,
          );
        },
      },
      // Records change during the outage, so the first polls after it must still find them.
      sourceChange(0.3, 0.02),
    ],
  }),
];

const toleranceMs = pipeline.poller.maxClockSkewSeconds * 1000;
const overlapMs = pipeline.poller.overlapSeconds * 1000;
/** The CRM's clock runs ahead, close to the tolerance; later it is corrected back by less than the overlap. */
export const crmAheadMs = toleranceMs - 60_000;
export const crmCorrectedMs = crmAheadMs - (overlapMs * 3) / 4;
/** The Inventory's clock runs an hour behind: a watermark from our own clock would skip its changes. */
export const inventoryBehindMs = -3_600_000;

/** 1 % of each source's records change at each step, stamped with the source's skewed clock. */
export function skewedChanges(): TimedFault[] {
  return [
    { at: 0.2, crm: crmAheadMs },
    { at: 0.5, crm: crmAheadMs },
    { at: 0.8, crm: crmCorrectedMs },
  ].map(({ at, crm }) => sourceChange(at, 0.01, { customers: crm, products: inventoryBehindMs }));
}

/** What the pollers promise under clock skew, and why it holds: docs/chaos.md, "Clock skew". */
export const clockSkewScenario: ChaosScenario = {
  name: 'clock-skew',
  fault:
    `CRM clock ${formatOffset(crmAheadMs)} (tolerance ${toleranceMs / 1000} s ahead), later corrected to ` +
    `${formatOffset(crmCorrectedMs)} (a step back < the ${overlapMs / 1000} s poll overlap); ` +
    `Inventory clock ${formatOffset(inventoryBehindMs)}; 1 % of records change at 20, 50 and 80 % delivered`,
  run: (context) => driveChaosPipeline(context, { label: 'clock-skew', faults: skewedChanges() }),
};
