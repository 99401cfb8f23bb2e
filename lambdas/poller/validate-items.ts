import { z } from 'zod';
import type { Envelope } from '../shared/envelope';
import { wrapInEnvelope } from '../shared/envelope';
import type { SyncType } from '../shared/envelope';
import type { EventType } from '../shared/pipeline';
import { CustomerSchema, ProductSchema } from '../shared/records';
import { laterOf } from '../shared/sync-state';

export interface InvalidItem {
  /** The item's id when it has a usable one; safe to log. */
  id?: string;
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

const LooseIdSchema = z.object({ id: z.string().min(1).max(128) });
const LooseUpdatedAtSchema = z.object({ updatedAt: z.iso.datetime({ offset: true }) });

export function validatePageItems(
  items: readonly unknown[],
  context: ValidationContext,
): ValidatedPage {
  const envelopes: Envelope[] = [];
  const invalid: InvalidItem[] = [];
  let maxUpdatedAt: string | undefined;
  const latestPlausibleMs = context.now.getTime() + context.maxClockSkewSeconds * 1000;
  for (const item of items) {
    const looseId = LooseIdSchema.safeParse(item);
    const id = looseId.success ? looseId.data.id : undefined;
    const looseUpdatedAt = LooseUpdatedAtSchema.safeParse(item);
    const updatedAt = looseUpdatedAt.success ? looseUpdatedAt.data.updatedAt : undefined;
    if (updatedAt !== undefined && Date.parse(updatedAt) > latestPlausibleMs) {
      const ahead = `more than ${context.maxClockSkewSeconds} s ahead of the poller's clock`;
      const future = [{ path: 'updatedAt', code: 'future' }];
      invalid.push(invalidItem(item, id, future, `updatedAt is in the future (${ahead})`));
      continue;
    }
    maxUpdatedAt = laterOf(maxUpdatedAt, updatedAt);

    const base = { source: context.source, syncType: context.syncType, now: context.now };
    if (context.eventType === 'CUSTOMER') {
      const parsed = CustomerSchema.safeParse(item);
      if (parsed.success) {
        envelopes.push(wrapInEnvelope({ ...base, eventType: 'CUSTOMER', payload: parsed.data }));
        continue;
      }
      invalid.push(describeInvalid(item, id, parsed.error));
    } else {
      const parsed = ProductSchema.safeParse(item);
      if (parsed.success) {
        envelopes.push(wrapInEnvelope({ ...base, eventType: 'PRODUCT', payload: parsed.data }));
        continue;
      }
      invalid.push(describeInvalid(item, id, parsed.error));
    }
  }
  return { envelopes, invalid, maxUpdatedAt };
}

function invalidItem(
  item: unknown,
  id: string | undefined,
  issuePaths: InvalidItem['issuePaths'],
  reason: string,
): InvalidItem {
  return {
    id,
    issuePaths,
    reason,
    raw: JSON.stringify(item),
  };
}

function describeInvalid(item: unknown, id: string | undefined, error: z.ZodError): InvalidItem {
  const path = (issue: z.core.$ZodIssue) => issue.path.join('.') || '(record)';
  return invalidItem(
    item,
    id,
    error.issues.map((issue) => ({ path: path(issue), code: issue.code })),
    `schema validation failed: ${error.issues.map((issue) => `${path(issue)}: ${issue.message}`).join('; ')}`,
  );
}
