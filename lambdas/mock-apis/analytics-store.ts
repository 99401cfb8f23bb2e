import type { AnalyticsPayload, AnalyticsStats } from '../shared/analytics-payload';
import { contentHash } from '../shared/content-hash';

type EventType = 'CUSTOMER' | 'PRODUCT';

export interface ReceivedVersion {
  contentHash: string;
  eventId: string;
  receivedAt: string;
}

export interface ReceivedRecord {
  eventType: EventType;
  id: string;
  latest: Record<string, unknown>;
  versions: ReceivedVersion[];
}

export interface PayloadSummary {
  eventId: string;
  idempotencyKey: string;
  receivedAt: string;
  customerCount: number;
  productCount: number;
  batchIds: string[];
}

export type AcceptResult = { duplicate: boolean };

/**
 * What the mock Analytics system has received. Counting follows AnalyticsStatsSchema: payloads
 * are deduplicated by Idempotency-Key; records are counted per entity (`eventType#id`) and per
 * version (`eventType#id#contentHash`), so a test can tell "delivered twice past the key" apart
 * from "delivered a newer version".
 */
export class AnalyticsStore {
  private readonly keys = new Set<string>();
  private readonly records = new Map<string, ReceivedRecord>();
  private readonly versions = new Set<string>();
  private readonly payloadLog: PayloadSummary[] = [];
  private stats: AnalyticsStats = emptyStats();

  accept(idempotencyKey: string, payload: AnalyticsPayload, now: Date): AcceptResult {
    if (this.keys.has(idempotencyKey)) {
      this.stats.duplicatePayloads++;
      return { duplicate: true };
    }
    this.keys.add(idempotencyKey);
    this.stats.payloads++;
    const receivedAt = now.toISOString();
    this.payloadLog.push({
      eventId: payload.eventId,
      idempotencyKey,
      receivedAt,
      customerCount: payload.customers.length,
      productCount: payload.products.length,
      batchIds: payload.metadata.batchIds,
    });
    for (const customer of payload.customers)
      this.addRecord('CUSTOMER', customer, payload.eventId, receivedAt);
    for (const product of payload.products)
      this.addRecord('PRODUCT', product, payload.eventId, receivedAt);
    return { duplicate: false };
  }

  private addRecord(
    eventType: EventType,
    record: { id: string },
    eventId: string,
    receivedAt: string,
  ): void {
    this.stats.recordsReceived++;
    const hash = contentHash(record);
    const entityKey = `${eventType}#${record.id}`;
    const versionKey = `${entityKey}#${hash}`;
    if (this.versions.has(versionKey)) {
      this.stats.duplicateRecords++;
    } else {
      this.versions.add(versionKey);
      this.stats.uniqueVersions++;
    }
    let received = this.records.get(entityKey);
    if (!received) {
      received = { eventType, id: record.id, latest: record, versions: [] };
      this.records.set(entityKey, received);
      this.stats.uniqueRecords++;
    }
    received.latest = record;
    received.versions.push({ contentHash: hash, eventId, receivedAt });
  }

  getStats(): AnalyticsStats {
    return { ...this.stats };
  }

  getRecord(eventType: EventType, id: string): ReceivedRecord | undefined {
    return this.records.get(`${eventType}#${id}`);
  }

  payloads(): readonly PayloadSummary[] {
    return this.payloadLog;
  }
}

function emptyStats(): AnalyticsStats {
  return {
    payloads: 0,
    duplicatePayloads: 0,
    uniqueRecords: 0,
    uniqueVersions: 0,
    recordsReceived: 0,
    duplicateRecords: 0,
  };
}
