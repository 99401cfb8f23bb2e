import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Dataset, EntityName, SortKey } from './dataset';
import { compareKeys, entityNames } from './dataset';
import { MockApiError } from './http-types';

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 100;

/**
 * Cursors are opaque to clients: base64url of the keyset position plus a short HMAC, so that a
 * hand-edited cursor is a clear 400 instead of a silently different page. The key is not a
 * secret (this is a mock); it only detects tampering and truncation.
 */
const CURSOR_KEY = 'ecom-sync-mock-apis-cursor-v1';

const CursorSchema = z.object({
  v: z.literal(1),
  e: z.enum(entityNames),
  ms: z.number().int().nonnegative(),
  id: z.string().min(1).max(128),
});

const sign = (encoded: string): string =>
  createHmac('sha256', CURSOR_KEY).update(encoded).digest('base64url').slice(0, 22);

export function encodeCursor(entity: EntityName, { ms, id }: SortKey): string {
  const encoded = Buffer.from(JSON.stringify({ v: 1, e: entity, ms, id })).toString('base64url');
  return `${encoded}.${sign(encoded)}`;
}

function decodeCursor(entity: EntityName, cursor: string): SortKey {
  const invalid = (why: string, cause?: unknown) =>
    new MockApiError(400, 'INVALID_CURSOR', `cursor ${why}`, {}, { cause });
  const [encoded = '', signature = '', ...rest] = cursor.split('.');
  const expected = Buffer.from(sign(encoded));
  const given = Buffer.from(signature);
  const signed = expected.length === given.length && timingSafeEqual(expected, given);
  if (!encoded || rest.length > 0 || !signed) {
    throw invalid('is not one this API issued (tampered or truncated)');
  }
  let position: z.output<typeof CursorSchema>;
  try {
    position = CursorSchema.parse(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
  } catch (error) {
    throw invalid('does not decode to a position', error);
  }
  if (position.e !== entity) throw invalid(`belongs to ${position.e}, not ${entity}`);
  return { ms: position.ms, id: position.id };
}

export const PageParamsSchema = z.object({
  updatedSince: z.iso
    .datetime({ offset: true, message: 'updatedSince must be an ISO-8601 date-time with offset' })
    .describe('Only records with updatedAt >= this instant (inclusive).')
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,6}$/, 'limit must be an integer')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, 'limit must be at least 1')
        .max(MAX_PAGE_SIZE, `limit must be at most ${MAX_PAGE_SIZE}`),
    )
    .optional(),
  cursor: z
    .string()
    .min(1, 'cursor must not be empty')
    .max(1024)
    .describe('Opaque; the nextCursor of the previous page.')
    .optional(),
});

/**
 * One page (DESIGN.md, Contracts): the cursor is the last key served, exclusive, so a record
 * changed mid-sync moves to the end and is served again. A bad parameter is INVALID_<PARAMETER>.
 */
export function readPage(
  dataset: Dataset,
  entity: EntityName,
  query: Record<string, string | undefined>,
): { items: Record<string, unknown>[]; nextCursor: string | null } {
  const parsed = PageParamsSchema.safeParse(query);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const field = String(issue?.path[0] ?? 'query').replace(/[A-Z]/g, (c) => `_${c}`);
    const [code, message] = [`INVALID_${field.toUpperCase()}`, issue?.message ?? 'invalid query'];
    throw new MockApiError(400, code, message, {}, { cause: parsed.error });
  }
  const { updatedSince, limit = DEFAULT_PAGE_SIZE, cursor } = parsed.data;
  // (since, '') sorts before every real id at that instant, which makes `since` inclusive.
  let after: SortKey = { ms: updatedSince ? Date.parse(updatedSince) : -Infinity, id: '' };
  if (cursor) {
    const position = decodeCursor(entity, cursor);
    if (compareKeys(position, after) > 0) after = position;
  }
  const { items, hasMore, last } = dataset.stores[entity].page(after, limit, !!updatedSince);
  return { items, nextCursor: hasMore && last ? encodeCursor(entity, last) : null };
}
