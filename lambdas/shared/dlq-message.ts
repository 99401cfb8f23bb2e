import { z } from 'zod';

/**
 * A message on `analytics_dlq`: something that could not be delivered, the stage that gave up on
 * it, why, and where it came from, so an operator can find, fix and redrive it.
 */
export const DlqMessageSchema = z.object({
  dlqId: z.string().min(1),
  stage: z.enum(['poll', 'merge', 'flush']),
  reason: z.string().min(1),
  attempts: z.number().int().nonnegative(),
  failedAt: z.iso.datetime({ offset: true }),
  origin: z.object({
    source: z.string().optional(),
    topic: z.string().optional(),
    partition: z.number().int().optional(),
    offset: z.string().optional(),
    /** flush: the staged batches the failed payload carried, and where they are parked. */
    batchIds: z.array(z.string()).optional(),
    s3Keys: z.array(z.string()).optional(),
    eventId: z.string().optional(),
  }),
  /**
   * The offending input as received (raw text, possibly not JSON), truncated to keep the DLQ
   * message small. May contain PII: the DLQ topic is access-controlled like the source topics.
   */
  record: z.string().optional(),
});
export type DlqMessage = z.infer<typeof DlqMessageSchema>;

/** Raw records larger than this are truncated in the DLQ message. */
export const DLQ_RECORD_MAX_CHARS = 64 * 1024;
