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
  private readonly stats: AnalyticsStats = {
    payloads: 0,
    duplicatePayloads: 0,
    uniqueRecords: 0,
    uniqueVersions: 0,
    recordsReceived: 0,
    duplicateRecords: 0,
  };

  accept(idempotencyKey: string, payload: AnalyticsPayload, now: Date): { duplicate: boolean } {
    if (this.keys.has(idempotencyKey)) {
      this.stats.duplicatePayloads++;
      return { duplicate: true };
    }
    this.keys.add(idempotencyKey);
    this.stats.payloads++;
    const { eventId, customers, products, metadata } = payload;
    const receivedAt = now.toISOString();
    const [customerCount, productCount] = [customers.length, products.length];
    this.payloadLog.push({
      eventId,
      idempotencyKey,
      receivedAt,
      customerCount,
      productCount,
      batchIds: metadata.batchIds,
    });
    const received = [
      ...customers.map((record) => ['CUSTOMER', record] as const),
      ...products.map((record) => ['PRODUCT', record] as const),
    ];
    for (const [eventType, record] of received) {
      this.stats.recordsReceived++;
      const hash = contentHash(record);
      const entityKey = `${eventType}#${record.id}`;
      const isNewVersion = !this.versions.has(`${entityKey}#${hash}`);
      this.versions.add(`${entityKey}#${hash}`);
      if (isNewVersion) this.stats.uniqueVersions++;
      else this.stats.duplicateRecords++;
      let entity = this.records.get(entityKey);
      if (!entity) {
        entity = { eventType, id: record.id, latest: record, versions: [] };
        this.records.set(entityKey, entity);
        this.stats.uniqueRecords++;
      }
      entity.latest = record;
      entity.versions.push({ contentHash: hash, eventId, receivedAt });
    }
    return { duplicate: false };
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
