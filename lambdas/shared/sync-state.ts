import type { DynamoDBDocumentClient, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { SyncTypeSchema } from './envelope';
import type { SyncType } from './envelope';
import { tables } from './pipeline';

const isoDateTime = z.iso.datetime({ offset: true });

/**
 * One item of the sync-state table (partition key `source`). `version` is bumped by every
 * write and every write is conditional on the version it read, so two overlapping runs of the
 * same poller cannot overwrite each other's progress or move the watermark backwards.
 */
const SyncStateSchema = z.object({
  source: z.string().min(1),
  version: z.number().int().nonnegative(),
  /** Highest source `updatedAt` fully published; incremental polls start just before it. */
  watermark: isoDateTime.optional(),
  /** A run in progress: the API cursor of the next page to fetch, and how the run was asked. */
  cursor: z.string().min(1).optional(),
  cursorSyncType: SyncTypeSchema.optional(),
  cursorSince: isoDateTime.optional(),
  /** A redeliver run's delivery generation (envelope `generation`), kept until it completes. */
  cursorGeneration: z.string().min(1).optional(),
  runStartedAt: isoDateTime.optional(),
  /** Highest `updatedAt` published so far by the run in progress (becomes the watermark). */
  runMaxUpdatedAt: isoDateTime.optional(),
  /** The S3 key of the ids snapshot the last completed full listing wrote (poller/known-ids.ts). */
  knownIds: z.string().min(1).optional(),
  updatedAt: isoDateTime,
});
export type SyncState = z.infer<typeof SyncStateSchema>;

export interface RunProgress {
  cursor: string;
  syncType: SyncType;
  since?: string;
  generation?: string;
  runStartedAt: string;
  runMaxUpdatedAt?: string;
}

/** Another run wrote the item after we read it; our write was refused. */
export class SyncStateConflictError extends Error {
  constructor(source: string) {
    super(`sync-state for "${source}" was changed by a concurrent run; this run stops`);
    this.name = 'SyncStateConflictError';
  }
}

export class SyncStateRepository {
  constructor(
    private readonly documentClient: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string = tables.syncState.name,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async read(source: string): Promise<SyncState | undefined> {
    const { Item } = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: { source }, ConsistentRead: true }),
    );
    if (Item === undefined) return undefined;
    const parsed = SyncStateSchema.safeParse(Item);
    if (parsed.success) return parsed.data;
    const paths = parsed.error.issues.map((i) => i.path.join('.') || '(item)').join(', ');
    throw new Error(`sync-state item for "${source}" is malformed (${paths}); fix or delete it`);
  }

  /** Records mid-run progress; the watermark is untouched. */
  async saveCursor(previous: SyncState | undefined, source: string, progress: RunProgress) {
    return this.write(previous, {
      source,
      watermark: previous?.watermark,
      cursor: progress.cursor,
      cursorSyncType: progress.syncType,
      cursorSince: progress.since,
      cursorGeneration: progress.generation,
      runStartedAt: progress.runStartedAt,
      runMaxUpdatedAt: progress.runMaxUpdatedAt,
      knownIds: previous?.knownIds,
    });
  }

  /**
   * Ends a run: sets the watermark (never lower than the stored one) and clears the cursor.
   * `watermark` undefined keeps the stored one: a run that saw no records, or one that did not
   * read from the stored watermark on (a later `{since}` resync; see mayAdvanceWatermark).
   * `knownIds` undefined keeps the stored snapshot key.
   */
  async advanceWatermark(
    previous: SyncState | undefined,
    source: string,
    watermark: string | undefined,
    knownIds?: string,
  ): Promise<SyncState> {
    return this.write(previous, {
      source,
      watermark: laterOf(previous?.watermark, watermark),
      knownIds: knownIds ?? previous?.knownIds,
    });
  }

  private async write(
    previous: SyncState | undefined,
    fields: Omit<SyncState, 'version' | 'updatedAt'>,
  ): Promise<SyncState> {
    const version = (previous?.version ?? 0) + 1;
    const next = withoutUndefined({ ...fields, version, updatedAt: this.now().toISOString() });
    // The version check covers the watermark too: a stored watermark can only be replaced by
    // a writer that read it, and laterOf() never returns less than what it read.
    const condition: Partial<PutCommandInput> =
      previous === undefined
        ? {
            ConditionExpression: 'attribute_not_exists(#source)',
            ExpressionAttributeNames: { '#source': 'source' },
          }
        : {
            ConditionExpression: '#version = :expectedVersion',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expectedVersion': previous.version },
          };
    try {
      await this.documentClient.send(
        new PutCommand({ ...condition, TableName: this.tableName, Item: next }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException')
        throw new SyncStateConflictError(next.source);
      throw error;
    }
    return next;
  }
}

/** What the poller needs from the sync-state store (the DynamoDB repository or a fake). */
export type SyncStateStore = Pick<SyncStateRepository, 'read' | 'saveCursor' | 'advanceWatermark'>;

/** The later of two ISO timestamps (compared as instants, not as strings). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
