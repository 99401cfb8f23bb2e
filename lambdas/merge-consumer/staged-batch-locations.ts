import { z } from 'zod';
import type { StagingStore } from '../shared/staging-format';
import { StagedBatchSchema, stagedObjectKeys } from '../shared/staging-format';
import { versionsInBatch } from './merge';

/** A staged batch found where flush left it, and the record versions it accounts for. */
export interface LocatedBatch {
  key: string;
  versions: Set<string>;
}

/**
 * Finds the batch a claim names wherever it is now: flush moves objects out of staging/ (copy
 * first, delete after), so a missing staging key alone does not mean the attempt that claimed it
 * died before staging. Looks at every key of the object in the order flush moves it
 * (`stagedObjectKeys`), so a move under way is never missed. Undefined = it was never written.
 */
export async function locateStagedBatch(
  store: Pick<StagingStore, 'get'>,
  stagingKey: string,
): Promise<LocatedBatch | undefined> {
  for (const key of stagedObjectKeys(stagingKey)) {
    const text = await store.get(key);
    if (text !== undefined) return { key, versions: versionsOf(text) };
  }
  return undefined;
}

const RecordVersionsOnlySchema = z.object({ recordVersions: z.array(z.string()) });

/**
 * Lenient on purpose: a quarantined object failed flush's validation, yet still accounts for the
 * versions it lists. One that tells nothing accounts for nothing (its versions get staged again).
 */
function versionsOf(text: string): Set<string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Set();
  }
  const batch = StagedBatchSchema.safeParse(json);
  if (batch.success) return versionsInBatch(batch.data);
  const listed = RecordVersionsOnlySchema.safeParse(json);
  return new Set(listed.success ? listed.data.recordVersions : []);
}
