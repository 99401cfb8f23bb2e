import { z } from 'zod';
import type { Envelope, SyncType } from '../shared/envelope';
import { wrapInEnvelope } from '../shared/envelope';
import type { EventType } from '../shared/pipeline';
import { CustomerSchema, ProductSchema } from '../shared/records';
import { laterOf } from '../shared/sync-state';

export interface InvalidItem {
  /** The item's id when it has a usable one; safe to log. */
  id?: string | undefined;
  /** Paths and zod codes only: never values (an invalid e-mail is still an e-mail). */
  issuePaths: { path: string; code: string }[];
  /** For the DLQ message only (access-controlled topic); never log it. */
  reason: string;
  raw: string;
}

export interface ValidatedPage {
  envelopes: Envelope[];
  invalid: InvalidItem[];
  /**
   * Latest plausible `updatedAt` on the page, valid record or not: an invalid record is handled
   * (dead-lettered) and its fixed version will carry a newer `updatedAt` anyway. A future
   * `updatedAt` (beyond the allowed clock skew) is excluded, or one bad record would push the
   * watermark past everything that changes until then and stop incremental polling.
   */
  maxUpdatedAt?: string;
}

export interface ValidationContext {
  eventType: EventType;
  source: string;
  syncType: SyncType;
  now: Date;
  /** How far the source's clock may run ahead of ours before an `updatedAt` counts as future. */
  maxClockSkewSeconds: number;
}

/** The id and updatedAt of any item, each undefined when it is not usable. */
const LooseItemSchema = z
  .object({
    id: z.string().min(1).max(128).optional().catch(undefined),
    updatedAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
  })
  .catch({});
const recordSchemas = { CUSTOMER: CustomerSchema, PRODUCT: ProductSchema };
type EnvelopeArgs = Parameters<typeof wrapInEnvelope>[0];

export function validatePageItems(
  items: readonly unknown[],
  context: ValidationContext,
): ValidatedPage {
  const page: ValidatedPage = { envelopes: [], invalid: [] };
  const latestPlausibleMs = context.now.getTime() + context.maxClockSkewSeconds * 1000;
  const { eventType, source, syncType, now } = context;
  for (const item of items) {
    const { id, updatedAt } = LooseItemSchema.parse(item);
    const invalid = (issuePaths: InvalidItem['issuePaths'], reason: string) =>
      page.invalid.push({ id, issuePaths, reason, raw: JSON.stringify(item) });
    if (updatedAt !== undefined && Date.parse(updatedAt) > latestPlausibleMs) {
      const ahead = `more than ${context.maxClockSkewSeconds} s ahead of the poller's clock`;
      invalid([{ path: 'updatedAt', code: 'future' }], `updatedAt is in the future (${ahead})`);
      continue;
    }
    page.maxUpdatedAt = laterOf(page.maxUpdatedAt, updatedAt);
    const parsed = recordSchemas[eventType].safeParse(item);
    if (parsed.success) {
      const args = { eventType, payload: parsed.data, source, syncType, now } as EnvelopeArgs;
      page.envelopes.push(wrapInEnvelope(args));
      continue;
    }
    const path = (issue: z.core.$ZodIssue) => issue.path.join('.') || '(record)';
    const { issues } = parsed.error;
    invalid(
      issues.map((issue) => ({ path: path(issue), code: issue.code })),
      `schema validation failed: ${issues.map((issue) => `${path(issue)}: ${issue.message}`).join('; ')}`,
    );
  }
  return page;
}
