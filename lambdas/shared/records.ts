import { z } from 'zod';

/** A CRM customer as the source API returns it. `email` is PII: never log it. */
export const CustomerSchema = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(512),
  email: z.email(),
  createdDate: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Customer = z.infer<typeof CustomerSchema>;

/** An Inventory product as the source API returns it. */
export const ProductSchema = z.object({
  id: z.string().min(1).max(128),
  productName: z.string().min(1).max(512),
  sku: z.string().min(1).max(128),
  stockQuantity: z.number().int().nonnegative(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Product = z.infer<typeof ProductSchema>;

/**
 * One page of a source API. Items stay `unknown` here: each is validated on its own so that one
 * bad record is sent to the DLQ instead of failing the page.
 */
export const SourcePageSchema = z.object({
  items: z.array(z.unknown()),
  nextCursor: z.string().min(1).nullable().optional(),
});
export type SourcePage = z.infer<typeof SourcePageSchema>;

/**
 * A deleted entity (issue 15): a source page's soft delete (an item with `deletedAt`; other fields
 * may be there and are ignored) or a hard delete a completed full sync found. Travels as a Kafka
 * tombstone ({@link TombstoneHeadersSchema}) and reaches Analytics in `deletedCustomers[]` /
 * `deletedProducts[]`.
 */
export const DeletedRecordSchema = z.object({
  id: z.string().min(1).max(128),
  deletedAt: z.iso.datetime({ offset: true }),
});
export type DeletedRecord = z.infer<typeof DeletedRecordSchema>;
