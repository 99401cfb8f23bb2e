import { z } from 'zod';
import { CustomerSchema, ProductSchema } from './records';

/** The Kafka offsets one merge-consumer invocation covered, per topic-partition. */
export const OffsetRangeSchema = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  firstOffset: z.string(),
  lastOffset: z.string(),
});
export type OffsetRange = z.infer<typeof OffsetRangeSchema>;

/** One S3 object under `staging/YYYY/MM/DD/<batchId>.json` (DESIGN.md, Staging). */
export const StagedBatchSchema = z.object({
  batchId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  customers: z.array(CustomerSchema),
  products: z.array(ProductSchema),
  offsets: z.array(OffsetRangeSchema),
});
export type StagedBatch = z.infer<typeof StagedBatchSchema>;
