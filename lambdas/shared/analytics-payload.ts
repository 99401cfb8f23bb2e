import { z } from 'zod';
import { CustomerSchema, DeletedRecordSchema, ProductSchema } from './records';

/** The body of `POST /analytics/data`; `eventId` is also sent as the `Idempotency-Key` header. */
export const AnalyticsPayloadSchema = z.object({
  eventId: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  customers: z.array(CustomerSchema),
  products: z.array(ProductSchema),
  /** Deletes (issue 15): the mock removes these entities. Absent in payloads from before them. */
  deletedCustomers: z.array(DeletedRecordSchema).default([]),
  deletedProducts: z.array(DeletedRecordSchema).default([]),
  metadata: z.object({
    source: z.string().min(1),
    customerCount: z.number().int().nonnegative(),
    productCount: z.number().int().nonnegative(),
    batchIds: z.array(z.string().min(1)).min(1),
  }),
});
export type AnalyticsPayload = z.infer<typeof AnalyticsPayloadSchema>;

/** What `GET /analytics/stats` answers. */
export const AnalyticsStatsSchema = z.object({
  /** Accepted POSTs (first time their Idempotency-Key was seen). */
  payloads: z.number().int(),
  /** POSTs whose Idempotency-Key had been seen before (answered 200, not stored again). */
  duplicatePayloads: z.number().int(),
  /** Distinct entities held (`eventType#id`): received and not deleted since. */
  uniqueRecords: z.number().int(),
  /** Distinct record versions received (`eventType#id#contentHash`). */
  uniqueVersions: z.number().int(),
  /** Records and deletes received in accepted payloads, counted with repetition (a delete is a version). */
  recordsReceived: z.number().int(),
  /** Deletes received in accepted payloads, counted with repetition. */
  deletes: z.number().int(),
  /** Record versions received again in an accepted payload: a duplicate past the Idempotency-Key. */
  duplicateRecords: z.number().int(),
});
export type AnalyticsStats = z.infer<typeof AnalyticsStatsSchema>;
