import { canonicalJson } from '../shared/content-hash';

interface Versioned {
  id: string;
  updatedAt: string;
}

/** True when `candidate` is a later version than `current`: by updatedAt, then by content. */
function isLater(candidate: Versioned, current: Versioned): boolean {
  const byTime = Date.parse(candidate.updatedAt) - Date.parse(current.updatedAt);
  if (byTime !== 0) return byTime > 0;
  // Same updatedAt, different content: any fixed order will do, so every (re)build of a payload
  // picks the same one and its bytes stay identical for the Idempotency-Key.
  return canonicalJson(candidate) > canonicalJson(current);
}

/**
 * One record per id, the latest version, in the order ids first appear. Batches are each
 * latest-per-id already, but two batches in one payload may carry the same id.
 */
export function latestPerId<T extends Versioned>(records: readonly T[]): T[] {
  const latest = new Map<string, T>();
  for (const record of records) {
    const current = latest.get(record.id);
    if (current === undefined || isLater(record, current)) latest.set(record.id, record);
  }
  return [...latest.values()];
}
