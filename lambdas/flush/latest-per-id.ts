import { canonicalJson } from '../shared/content-hash';
import type { RecordPosition } from '../shared/staging-format';

interface Versioned {
  id: string;
  updatedAt: string;
}

/** One staged record and, when its batch recorded it, where merge-consumer read it from Kafka. */
export interface PositionedRecord<T extends Versioned> {
  record: T;
  position?: RecordPosition;
}

/**
 * True when `candidate` is a later version than `current`. Read order first: every version of an
 * id is in one partition, so the later offset is the one the poller read later, which is the
 * source's newer state even when the source's clock stepped back in between. Batches staged before
 * positions were recorded fall back to updatedAt.
 */
function isLater<T extends Versioned>(
  candidate: PositionedRecord<T>,
  current: PositionedRecord<T>,
): boolean {
  const a = candidate.position;
  const b = current.position;
  if (a !== undefined && b !== undefined && a.partition === b.partition) {
    const byOffset = BigInt(a.offset) - BigInt(b.offset);
    if (byOffset !== 0n) return byOffset > 0n;
  }
  const byTime = Date.parse(candidate.record.updatedAt) - Date.parse(current.record.updatedAt);
  if (byTime !== 0) return byTime > 0;
  // Same updatedAt, different content: any fixed order will do, so every (re)build of a payload
  // picks the same one and its bytes stay identical for the Idempotency-Key.
  return canonicalJson(candidate.record) > canonicalJson(current.record);
}

/**
 * One record per id, the latest version, in the order ids first appear. Batches are each
 * latest-per-id already, but two batches in one payload may carry the same id.
 */
export function latestPerId<T extends Versioned>(records: readonly PositionedRecord<T>[]): T[] {
  const latest = new Map<string, PositionedRecord<T>>();
  for (const candidate of records) {
    const current = latest.get(candidate.record.id);
    if (current === undefined || isLater(candidate, current)) {
      latest.set(candidate.record.id, candidate);
    }
  }
  return [...latest.values()].map(({ record }) => record);
}
