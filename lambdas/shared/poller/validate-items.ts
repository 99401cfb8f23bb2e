import { z } from 'zod';
import type { Envelope } from '../envelope';
import { wrapInEnvelope } from '../envelope';
import type { SyncType } from '../envelope';
import type { EventType } from '../pipeline';
import { CustomerSchema, ProductSchema } from '../records';
import { laterOf } from '../sync-state';

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
  /** Latest `updatedAt` on the page, valid or not (an invalid record is handled: dead-lettered). */
  maxUpdatedAt?: string;
}

const LooseIdentitySchema = z.object({
  id: z.string().min(1).max(128).optional(),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});

export function validatePageItems(
  items: readonly unknown[],
  context: { eventType: EventType; source: string; syncType: SyncType; now: Date },
): ValidatedPage {
  const envelopes: Envelope[] = [];
  const invalid: InvalidItem[] = [];
  let maxUpdatedAt: string | undefined;
  for (const item of items) {
    const identity = LooseIdentitySchema.safeParse(item);
    const looseUpdatedAt = identity.success ? identity.data.updatedAt : undefined;
    maxUpdatedAt = laterOf(maxUpdatedAt, looseUpdatedAt);

    const base = { source: context.source, syncType: context.syncType, now: context.now };
    if (context.eventType === 'CUSTOMER') {
      const parsed = CustomerSchema.safeParse(item);
      if (parsed.success) {
        envelopes.push(wrapInEnvelope({ ...base, eventType: 'CUSTOMER', payload: parsed.data }));
        continue;
      }
      invalid.push(
        describeInvalid(item, identity.success ? identity.data.id : undefined, parsed.error),
      );
    } else {
      const parsed = ProductSchema.safeParse(item);
      if (parsed.success) {
        envelopes.push(wrapInEnvelope({ ...base, eventType: 'PRODUCT', payload: parsed.data }));
        continue;
      }
      invalid.push(
        describeInvalid(item, identity.success ? identity.data.id : undefined, parsed.error),
      );
    }
  }
  return { envelopes, invalid, ...(maxUpdatedAt === undefined ? {} : { maxUpdatedAt }) };
}

function describeInvalid(item: unknown, id: string | undefined, error: z.ZodError): InvalidItem {
  const issuePaths = error.issues.map((issue) => ({
    path: issue.path.join('.') || '(record)',
    code: issue.code,
  }));
  return {
    ...(id === undefined ? {} : { id }),
    issuePaths,
    reason: `schema validation failed: ${error.issues
      .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
      .join('; ')}`,
    raw: JSON.stringify(item) ?? String(item),
  };
}
