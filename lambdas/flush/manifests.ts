import { z } from 'zod';

/** One staged batch a payload carries, and where it was staged. */
export const BatchRefSchema = z.object({
  batchId: z.string().min(1),
  stagedKey: z.string().min(1),
});
export type BatchRef = z.infer<typeof BatchRefSchema>;

/**
 * The grouping of one payload, written to `outbox/<eventId>.json` BEFORE the POST. If flush dies
 * after Analytics stored the payload but before the batches left `staging/`, the next run
 * re-posts exactly this grouping (same eventId, same timestamp, same batch order), so the
 * Idempotency-Key absorbs the repeat instead of a regrouped payload duplicating records.
 */
export const OutboxManifestSchema = z.object({
  eventId: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp: z.iso.datetime({ offset: true }),
  batches: z.array(BatchRefSchema).min(1),
});
export type OutboxManifest = z.infer<typeof OutboxManifestSchema>;

/** `dlq/<eventId>/manifest.json`: a payload that could not be delivered, parked for redrive. */
export const ParkedManifestSchema = OutboxManifestSchema.extend({
  reason: z.string().min(1),
  attempts: z.number().int().nonnegative(),
  parkedAt: z.iso.datetime({ offset: true }),
});
export type ParkedManifest = z.infer<typeof ParkedManifestSchema>;

/** Parses a manifest read from S3; a broken one is reported, not guessed at. */
export function parseManifest<S extends z.ZodType>(
  schema: S,
  text: string,
  key: string,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${key} is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new Error(`${key} is not a valid manifest: ${result.error.message}`);
  return result.data;
}

export { ParkingPointerSchema } from '../shared/staging-format';
export type { ParkingPointer } from '../shared/staging-format';
