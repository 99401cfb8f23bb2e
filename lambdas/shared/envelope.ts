import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { contentHash } from './content-hash';
import type { Customer, DeletedRecord, Product } from './records';
import { CustomerSchema, DeletedRecordSchema, ProductSchema } from './records';

export const SyncTypeSchema = z.enum(['FULL', 'INCREMENTAL', 'RESYNC']);
export type SyncType = z.infer<typeof SyncTypeSchema>;

const envelopeBase = {
  messageId: z.string().min(1),
  source: z.string().min(1),
  syncType: SyncTypeSchema,
  timestamp: z.iso.datetime({ offset: true }),
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Set by a `redeliver` resync: a new delivery generation, so a version seen before is new again. */
  generation: z.string().min(1).max(64).optional(),
};

/** The Kafka message value on `customer_data` / `inventory_data` (DESIGN.md, Contracts). */
export const EnvelopeSchema = z
  .discriminatedUnion('eventType', [
    z.object({ ...envelopeBase, eventType: z.literal('CUSTOMER'), payload: CustomerSchema }),
    z.object({ ...envelopeBase, eventType: z.literal('PRODUCT'), payload: ProductSchema }),
  ])
  .refine((envelope) => envelope.contentHash === contentHash(envelope.payload), {
    message: 'contentHash does not match the payload',
    path: ['contentHash'],
  });
export type Envelope = z.infer<typeof EnvelopeSchema>;

export function wrapInEnvelope(
  args:
    | { eventType: 'CUSTOMER'; payload: Customer; source: string; syncType: SyncType; now?: Date }
    | { eventType: 'PRODUCT'; payload: Product; source: string; syncType: SyncType; now?: Date },
): Envelope {
  return {
    messageId: randomUUID(),
    eventType: args.eventType,
    source: args.source,
    syncType: args.syncType,
    timestamp: (args.now ?? new Date()).toISOString(),
    contentHash: contentHash(args.payload),
    payload: args.payload,
  } as Envelope;
}

/** The idempotency key of one record version: `eventType#id#contentHash[#generation]` (DESIGN.md). */
export function recordVersionKey(
  envelope: Pick<Envelope, 'eventType' | 'contentHash' | 'generation'> & {
    payload: { id: string };
  },
): string {
  const generation = envelope.generation === undefined ? '' : `#${envelope.generation}`;
  return `${envelope.eventType}#${envelope.payload.id}#${envelope.contentHash}${generation}`;
}

/**
 * A delete on `customer_data` / `inventory_data` is a Kafka tombstone: key = the entity id, value
 * null (what compacted topics and every Kafka consumer read as a delete), and these headers, the
 * envelope's fields with `deletedAt` in place of the payload. AWS delivers such a record without
 * `value` (aws-lambda-go omits it; see test/conformance).
 */
export const TombstoneHeadersSchema = z.object({
  op: z.literal('delete'),
  messageId: envelopeBase.messageId,
  eventType: z.enum(['CUSTOMER', 'PRODUCT']),
  source: envelopeBase.source,
  syncType: SyncTypeSchema,
  timestamp: envelopeBase.timestamp,
  deletedAt: DeletedRecordSchema.shape.deletedAt,
  generation: envelopeBase.generation,
});
export type TombstoneHeaders = z.infer<typeof TombstoneHeadersSchema>;

/** A tombstone's headers and key (`id`) as an envelope of its DeletedRecord: a version like any. */
export const DeleteEnvelopeSchema = TombstoneHeadersSchema.extend({
  id: DeletedRecordSchema.shape.id,
}).transform(({ id, deletedAt, ...headers }) => {
  const payload = { id, deletedAt };
  return { ...headers, contentHash: contentHash(payload), payload };
});
export type DeleteEnvelope = z.output<typeof DeleteEnvelopeSchema>;

/** The Kafka message of one delete: the pollers publish soft deletes and full-sync deletes with it. */
export function tombstoneMessage(args: {
  eventType: TombstoneHeaders['eventType'];
  deleted: DeletedRecord;
  source: string;
  syncType: SyncType;
  now?: Date;
  generation?: string | undefined;
}): { key: string; value: null; headers: TombstoneHeaders } {
  const { eventType, deleted, source, syncType, generation } = args;
  const headers = {
    op: 'delete' as const,
    messageId: randomUUID(),
    eventType,
    source,
    syncType,
    timestamp: (args.now ?? new Date()).toISOString(),
    deletedAt: deleted.deletedAt,
    // A Kafka header has a value or is absent.
    ...(generation === undefined ? {} : { generation }),
  };
  return { key: deleted.id, value: null, headers };
}
