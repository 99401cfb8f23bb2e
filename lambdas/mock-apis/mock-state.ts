import { AnalyticsStore } from './analytics-store';
import type { DatasetOptions } from './dataset';
import { Dataset } from './dataset';
import type { FaultRoute, FaultSettings, FaultTally } from './faults';
import { emptyFaultTallies } from './faults';
import type { Random } from './prng';
import { mixSeed, mulberry32 } from './prng';

/**
 * Everything one mock instance remembers: the data set, what Analytics received, and the fault
 * settings with their own seeded random stream. One per Lambda container (module scope) or per
 * local server.
 */
export class MockState {
  dataset: Dataset;
  analytics = new AnalyticsStore();
  faults: FaultSettings = {};
  faultRandom: Random;
  /** What each route's requests suffered since the last reset (not since the last setFaults). */
  faultTally: Record<FaultRoute, FaultTally> = emptyFaultTallies();

  constructor(
    readonly defaults: DatasetOptions,
    nowMs: number,
    initialFaults: FaultSettings = {},
  ) {
    this.dataset = new Dataset(defaults, nowMs);
    this.faultRandom = this.newFaultRandom();
    this.faults = initialFaults;
  }

  /** Regenerates the data set; clears analytics and faults (the contract of POST /admin/reset). */
  reset(options: Partial<DatasetOptions>, nowMs: number): DatasetOptions {
    const next = { ...this.defaults, ...options };
    this.dataset = new Dataset(next, nowMs);
    this.analytics = new AnalyticsStore();
    this.faultTally = emptyFaultTallies();
    this.setFaults({});
    return next;
  }

  /** Restarts the fault stream too, so the same settings give the same sequence of failures. */
  setFaults(faults: FaultSettings): FaultSettings {
    this.faultRandom = this.newFaultRandom();
    return (this.faults = faults);
  }

  private newFaultRandom(): Random {
    return mulberry32(mixSeed(this.dataset.options.seed, 0xfa017));
  }
}
