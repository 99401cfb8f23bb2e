import type { AnalyticsPayload, AnalyticsStats } from '../shared/analytics-payload';
import { contentHash } from '../shared/content-hash';
import type { EventType } from '../shared/pipeline';
import type { DatasetOptions } from './dataset';
import { Dataset } from './dataset';
import type { FaultSettings } from './faults';
import { emptyFaultTallies } from './faults';
import type { Random } from './prng';
import { mixSeed, mulberry32 } from './prng';

/** The faults' own seeded stream: the same settings give the same sequence of failures. */
const faultStream = (seed: number): Random => mulberry32(mixSeed(seed, 0xfa017));

/** Everything one mock instance (app.ts) remembers. */
export class MockState {
  dataset: Dataset;
  analytics = new AnalyticsStore();
  faultRandom: Random;
  /** What each route's requests suffered since the last reset (not since the last setFaults). */
  faultTally = emptyFaultTallies();

  constructor(
    readonly defaults: DatasetOptions,
    nowMs: number,
    public faults: FaultSettings = {},
  ) {
    this.dataset = new Dataset(defaults, nowMs);
    this.faultRandom = faultStream(defaults.seed);
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

  /** Restarts the fault stream too. */
  setFaults(faults: FaultSettings): FaultSettings {
    this.faultRandom = faultStream(this.dataset.options.seed);
    return (this.faults = faults);
  }
}

export interface ReceivedRecord {
  eventType: EventType;
  id: string;
  latest: Record<string, unknown>;
  versions: { contentHash: string; eventId: string; receivedAt: string }[];
}

export interface PayloadSummary {
  eventId: string;
  idempotencyKey: string;
  receivedAt: string;
}

/** A payload's customers (or deleted customers) and products, each with its eventType. */
const byEventType = <C, P>(customers: C[], products: P[]) => [
  ...customers.map((record) => ['CUSTOMER', record] as const),
  ...products.map((record) => ['PRODUCT', record] as const),
];

/** What the mock Analytics has received, counted as AnalyticsStatsSchema's fields describe. */
export class AnalyticsStore {
  private readonly keys = new Set<string>();
  private readonly records = new Map<string, ReceivedRecord>();
  private readonly versions = new Set<string>();
  /** Entities a delete removed (and nothing re-created since), with their `deletedAt`. */
  private readonly deleted = new Map<string, string>();
  private readonly payloadLog: PayloadSummary[] = [];
  private duplicatePayloads = 0;
  private recordsReceived = 0;
  private deletes = 0;

  accept(idempotencyKey: string, payload: AnalyticsPayload, now: Date): { duplicate: boolean } {
    if (this.keys.has(idempotencyKey)) {
      this.duplicatePayloads++;
      return { duplicate: true };
    }
    this.keys.add(idempotencyKey);
    const { eventId } = payload;
    const receivedAt = now.toISOString();
    this.payloadLog.push({ eventId, idempotencyKey, receivedAt });
    for (const [eventType, record] of byEventType(payload.customers, payload.products)) {
      this.recordsReceived++;
      const hash = contentHash(record);
      const entityKey = `${eventType}#${record.id}`;
      this.versions.add(`${entityKey}#${hash}`);
      const versions = this.records.get(entityKey)?.versions ?? [];
      versions.push({ contentHash: hash, eventId, receivedAt });
      this.records.set(entityKey, { eventType, id: record.id, latest: record, versions });
      this.deleted.delete(entityKey);
    }
    const deletes = byEventType(payload.deletedCustomers, payload.deletedProducts);
    // A delete is a version of its own: one received twice past the key is a duplicate record.
    for (const [eventType, record] of deletes) {
      this.recordsReceived++;
      this.deletes++;
      const entityKey = `${eventType}#${record.id}`;
      this.versions.add(`${entityKey}#${contentHash(record)}`);
      this.records.delete(entityKey);
      this.deleted.set(entityKey, record.deletedAt);
    }
    return { duplicate: false };
  }

  getStats(): AnalyticsStats {
    return {
      payloads: this.payloadLog.length,
      duplicatePayloads: this.duplicatePayloads,
      uniqueRecords: this.records.size,
      uniqueVersions: this.versions.size,
      recordsReceived: this.recordsReceived,
      deletes: this.deletes,
      // Every record received is a new version or one received before.
      duplicateRecords: this.recordsReceived - this.versions.size,
    };
  }

  getRecord(eventType: EventType, id: string): ReceivedRecord | undefined {
    return this.records.get(`${eventType}#${id}`);
  }

  deletedAt(eventType: EventType, id: string): string | undefined {
    return this.deleted.get(`${eventType}#${id}`);
  }

  payloads(): readonly PayloadSummary[] {
    return this.payloadLog;
  }
}
