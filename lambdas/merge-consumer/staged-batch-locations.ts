import { z } from 'zod';
import { staging } from '../shared/pipeline';
import { StagedBatchWithVersionsSchema } from '../shared/staging-format';
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

const { prefixes } = staging;
const STAGING_KEY = /^staging\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)\.json$/;

/**
 * `dlq/by-batch/<batchId>.json`, written by flush before it deletes the staging copy of a batch
 * it parks, so the parked copy (`dlq/<eventId>/<batchId>.json`) can be found from the batch id.
 */
const DlqPointerSchema = z.object({
  eventId: z.string().min(1),
  key: z.string().startsWith(prefixes.dlq),
});

/**
 * The keys flush moves a staged object to (these mirror lambdas/flush/object-keys.ts, kept here
 * so merge-consumer does not depend on flush's code): delivered after a 2xx, or quarantined when
 * malformed. The parked (dlq) copy is found through its pointer.
 */
export function deliveredKeyOf(stagingKey: string): string {
  return `${prefixes.delivered}${stagingKey.slice(prefixes.staging.length)}`;
}
export function quarantinedKeyOf(stagingKey: string): string {
  return `${prefixes.dlq}invalid/${stagingKey}`;
}
export function dlqPointerKeyOf(batchId: string): string {
  return `${prefixes.dlq}by-batch/${batchId}.json`;
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
  const batchId = STAGING_KEY.exec(stagingKey)?.[2];
  if (batchId === undefined) return undefined;

  const delivered = await at(deliveredKeyOf(stagingKey));
  if (delivered !== undefined) return delivered;
  const pointer = DlqPointerSchema.safeParse(await reader.readJson(dlqPointerKeyOf(batchId)));
  if (pointer.success) {
    const parked = await at(pointer.data.key);
    if (parked !== undefined) return parked;
    // A redrive moves the parked copy to delivered/ (copy, then delete) after we looked there.
    const redriven = await at(deliveredKeyOf(stagingKey));
    if (redriven !== undefined) return redriven;
  }
  return at(quarantinedKeyOf(stagingKey));
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
