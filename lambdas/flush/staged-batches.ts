import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricNames } from '../shared/pipeline';
import type { FlushDeps } from './deps';
import { StagedBatchSchema, invalidKeyFor, parseStagedKey } from '../shared/staging-format';
import type { StagedEntry } from './packing';
import type { StoredObjectSummary } from './staging-store';
import { moveObject } from './staging-store';

export type StagedRead =
  | { kind: 'valid'; entry: StagedEntry }
  | { kind: 'invalid'; reason: string; raw: string }
  | { kind: 'missing' };

/** Reads one staged object and checks it against StagedBatchSchema and its own key. */
export async function readStaged(deps: Pick<FlushDeps, 'store'>, key: string): Promise<StagedRead> {
  const raw = await deps.store.get(key);
  if (raw === undefined) return { kind: 'missing' };
  return validateStaged(key, raw);
}

export function validateStaged(key: string, raw: string): StagedRead {
  const keyParts = parseStagedKey(key);
  if (!keyParts) {
    return { kind: 'invalid', reason: 'key is not staging/YYYY/MM/DD/<batchId>.json', raw };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON: ${(error as Error).message}`, raw };
  }
  const parsed = StagedBatchSchema.safeParse(json);
  if (!parsed.success) {
    // Paths and messages only: the issues never echo field values (which may be e-mails).
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return { kind: 'invalid', reason: `fails StagedBatchSchema: ${problems}`, raw };
  }
  if (parsed.data.batchId !== keyParts.batchId) {
    return {
      kind: 'invalid',
      reason: `batchId ${parsed.data.batchId} does not match the key's ${keyParts.batchId}`,
      raw,
    };
  }
  return { kind: 'valid', entry: { stagedKey: key, batch: parsed.data } };
}

/**
 * A staged object that can never be delivered is moved to `dlq/invalid/<key>` and reported on
 * `analytics_dlq`, so it neither blocks the flush nor disappears. The DLQ message goes first: a
 * crash before the move leaves the object in staging, to be reported again (at least once).
 */
export async function quarantineStaged(
  deps: Pick<FlushDeps, 'store' | 'dlq' | 'metrics' | 'logger'>,
  key: string,
  raw: string,
  reason: string,
): Promise<void> {
  const quarantineKey = invalidKeyFor(key);
  const batchId = parseStagedKey(key)?.batchId;
  await deps.dlq.publish([
    {
      stage: 'flush',
      reason: `invalid staged object: ${reason}`,
      attempts: 0,
      origin: { s3Keys: [quarantineKey], ...(batchId ? { batchIds: [batchId] } : {}) },
      record: raw,
    },
  ]);
  await moveObject(deps.store, key, quarantineKey);
  deps.metrics.addMetric(metricNames.dlqMessages, MetricUnit.Count, 1);
  deps.logger.error('Quarantined an invalid staged object', { key, quarantineKey, reason });
}

/** Staged objects oldest first: by the key's date path, then LastModified, then key. */
export function sortOldestFirst(objects: readonly StoredObjectSummary[]): StoredObjectSummary[] {
  const datePath = (key: string): string => parseStagedKey(key)?.datePath ?? '';
  return [...objects].sort(
    (a, b) =>
      datePath(a.key).localeCompare(datePath(b.key)) ||
      a.lastModified.getTime() - b.lastModified.getTime() ||
      a.key.localeCompare(b.key),
  );
}
