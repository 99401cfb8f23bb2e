import { z } from 'zod';
import {
  ParkingPointerSchema,
  StagedBatchWithVersionsSchema,
  deliveredKeyFor,
  invalidKeyFor,
  parkedPointerKeyFor,
  parseStagedKey,
} from '../shared/staging-format';
import { versionsInBatch } from './merge';

/** Reads any object of the staging bucket as JSON; undefined when there is none. */
export interface JsonObjectReader {
  readJson(key: string): Promise<unknown>;
}

/** A staged batch found where flush left it, and the record versions it accounts for. */
export interface LocatedBatch {
  key: string;
  versions: Set<string>;
}

/**
 * Finds the batch a claim names wherever it is now: flush moves every object out of staging/
 * (copy first, delete after), so a missing staging key alone does not mean the attempt that
 * claimed it died before staging. Looks at the staging key, then `delivered/`, then the dlq
 * pointer and the parked copy it names, then `dlq/invalid/`. Undefined = it was never written.
 */
export async function locateStagedBatch(
  reader: JsonObjectReader,
  stagingKey: string,
): Promise<LocatedBatch | undefined> {
  const at = async (key: string): Promise<LocatedBatch | undefined> => {
    const json = await reader.readJson(key);
    return json === undefined ? undefined : { key, versions: versionsOf(json) };
  };
  const inStaging = await at(stagingKey);
  if (inStaging !== undefined) return inStaging;
  const batchId = parseStagedKey(stagingKey)?.batchId;
  if (batchId === undefined) return undefined;

  const delivered = await at(deliveredKeyFor(stagingKey));
  if (delivered !== undefined) return delivered;
  const pointer = ParkingPointerSchema.safeParse(
    await reader.readJson(parkedPointerKeyFor(batchId)),
  );
  if (pointer.success) {
    const parked = await at(pointer.data.key);
    if (parked !== undefined) return parked;
    // A redrive moves the parked copy to delivered/ (copy, then delete) after we looked there.
    const redriven = await at(deliveredKeyFor(stagingKey));
    if (redriven !== undefined) return redriven;
  }
  return at(invalidKeyFor(stagingKey));
}

const RecordVersionsOnlySchema = z.object({ recordVersions: z.array(z.string()) });

/**
 * Lenient on purpose: a quarantined object failed flush's validation, yet still accounts for the
 * versions it lists. One that tells nothing accounts for nothing (its versions get staged again).
 */
function versionsOf(json: unknown): Set<string> {
  const batch = StagedBatchWithVersionsSchema.safeParse(json);
  if (batch.success) return versionsInBatch(batch.data);
  const listed = RecordVersionsOnlySchema.safeParse(json);
  return new Set(listed.success ? listed.data.recordVersions : []);
}
