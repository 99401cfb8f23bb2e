import { pipeline } from '../../../lambdas/shared/pipeline';
import type { TimedFault } from '../drive';
import { driveChaosPipeline } from '../drive';
import type { ChaosContext, ChaosScenario, ScenarioOutcome } from '../scenario';
import { formatOffset, sourceChange } from '../source-changes';

const toleranceMs = pipeline.poller.maxClockSkewSeconds * 1000;
const overlapMs = pipeline.poller.overlapSeconds * 1000;

/**
 * The CRM's clock runs ahead, close to the poller's tolerance; later it is corrected backwards by
 * less than the poll overlap. Both are within what the poller promises to survive.
 */
export const crmAheadMs = toleranceMs - 60_000;
export const crmCorrectedMs = crmAheadMs - (overlapMs * 3) / 4;
/** The Inventory's clock runs an hour behind: a watermark from our own clock would skip its changes. */
export const inventoryBehindMs = -3_600_000;

/** 1 % of each source's records change at each step, stamped with the source's skewed clock. */
const stepShare = 0.01;

/** One step of the skewed sources: records change, stamped by the source's own (wrong) clock. */
export function skewedChanges(): TimedFault[] {
  return [
    { at: 0.2, crm: crmAheadMs },
    { at: 0.5, crm: crmAheadMs },
    { at: 0.8, crm: crmCorrectedMs },
  ].map(({ at, crm }) =>
    sourceChange({
      atDeliveredFraction: at,
      share: stepShare,
      clockOffsetMs: { customers: crm, products: inventoryBehindMs },
    }),
  );
}

/**
 * CRM clock skew on `updatedAt` within the poller's tolerance, while records change during the
 * incremental polls. The pollers watermark with the source's own max(updatedAt), so neither a clock
 * ahead (up to `maxClockSkewSeconds`) nor one behind skips a change; a correction backwards by
 * less than `overlapSeconds` is covered by the overlap. Beyond those limits: docs/chaos.md.
 */
export const clockSkewScenario: ChaosScenario = {
  name: 'clock-skew',
  fault:
    `CRM clock ${formatOffset(crmAheadMs)} (tolerance ${toleranceMs / 1000} s ahead), later corrected to ` +
    `${formatOffset(crmCorrectedMs)} (a step back < the ${overlapMs / 1000} s poll overlap); ` +
    `Inventory clock ${formatOffset(inventoryBehindMs)}; 1 % of records change at 20, 50 and 80 % delivered`,
  run: (context: ChaosContext): Promise<ScenarioOutcome> =>
    driveChaosPipeline(context, { label: 'clock-skew', faults: skewedChanges() }),
};
