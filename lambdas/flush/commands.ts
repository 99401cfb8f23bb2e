import { z } from 'zod';
import { prettifyOnOneLine } from '../shared/config';
import type { DlqTopic, FailedRecord } from './dlq-topic';
import type { seekGroup } from '../shared/kafka';
import { SeekRequestSchema } from '../shared/kafka';
import { describePayload, isScheduledEvent } from '../shared/scheduled-event';
import type { FlushSettings, FlushSummary } from './flush-run';
import { runFlush } from './flush-run';
import type { Lease } from './lease';
import type { FlushDeps, ParkedPayloadSummary, RedriveSummary } from './outbox';
import { FlushError, PayloadManifestSchema, listParked, redriveParked } from './outbox';

const ManualInvokeSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('flush') }),
  z.strictObject({
    action: z.literal('redrive'),
    eventId: PayloadManifestSchema.shape.eventId.optional(),
  }),
  z.strictObject({ action: z.literal('list-dlq') }),
  // Sets a replay group's start: a mapping's pollers are in the VPC, and so is flush (runbook).
  SeekRequestSchema.extend({ action: z.literal('seek') }),
  SeekRequestSchema.omit({ groupId: true }).extend({ action: z.literal('redeliver') }),
]);

export type FlushCommand = z.infer<typeof ManualInvokeSchema>;

export class InvalidFlushInvocationError extends FlushError {
  override name = 'InvalidFlushInvocationError';
  constructor(details: string) {
    super(
      `Unsupported flush invocation: ${details}. Send an EventBridge scheduled event ` +
        '({"source":"aws.events","detail-type":"Scheduled Event",…}), {"action":"flush"}, ' +
        '{"action":"redrive","eventId"?:"<64 hex>"}, {"action":"list-dlq"} or ' +
        '{"action":"seek"|"redeliver","groupId" (seek only),"topic","from","partition"?}.',
    );
  }
}

/** The schedule flushes; a payload ManualInvokeSchema rejects is an error, never a flush. */
export function parseInvokeEvent(event: unknown): FlushCommand {
  if (isScheduledEvent(event)) return { action: 'flush' };
  const manual = ManualInvokeSchema.safeParse(event);
  if (manual.success) return manual.data;
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  throw new InvalidFlushInvocationError(
    isObject && 'action' in event
      ? prettifyOnOneLine(manual.error)
      : `got ${describePayload(event)}`,
  );
}

export type FlushResult =
  | FlushSummary
  | (RedriveSummary & { records?: { republished: string[]; superseded: string[] } })
  | { status: 'ok'; parked: ParkedPayloadSummary[]; failedRecords: FailedRecord[] }
  | ({ status: 'ok' } & Awaited<ReturnType<typeof seekGroup>>)
  | ({ status: 'ok' } & Awaited<ReturnType<DlqTopic['redeliver']>>)
  | { status: 'busy' };

/**
 * Runs one command. flush and redrive move objects, so they hold the lease and a second one
 * running at the same time answers `{ status: 'busy' }` at once; list-dlq only reads. A redrive
 * of all (no eventId) also republishes the records the event source mapping dead-lettered.
 */
export async function executeCommand(
  deps: FlushDeps,
  command: FlushCommand,
  settings: FlushSettings,
  acquireLease: () => Promise<Lease | undefined>,
): Promise<FlushResult> {
  if (command.action === 'list-dlq') {
    const [parked, failedRecords] = await Promise.all([listParked(deps), deps.topic.listFailed()]);
    return { status: 'ok', parked, failedRecords };
  }
  if (command.action === 'seek') return { status: 'ok', ...(await deps.topic.seek(command)) };
  if (command.action === 'redeliver')
    return { status: 'ok', ...(await deps.topic.redeliver(command)) };

  const lease = await acquireLease();
  if (!lease) {
    deps.logger.info('Another flush holds the lease; exiting', { action: command.action });
    return { status: 'busy' };
  }
  try {
    if (command.action === 'flush') return await runFlush(deps, settings);
    const parked = await redriveParked(deps, settings.deadline, command.eventId);
    return command.eventId ? parked : { ...parked, records: await deps.topic.redriveFailed() };
  } finally {
    await lease.release();
  }
}
