import type { FlushDeps, FlushSettings } from './deps';
import type { FlushSummary } from './flush-run';
import { runFlush } from './flush-run';
import type { FlushCommand } from './invoke-event';
import type { Lease } from './lease';
import type { ParkedPayloadSummary, RedriveSummary } from './redrive';
import { listParked, redriveParked } from './redrive';

export type FlushResult =
  | FlushSummary
  | RedriveSummary
  | { status: 'ok'; parked: ParkedPayloadSummary[] }
  | { status: 'busy' };

/**
 * Runs one command. flush and redrive move objects, so they hold the lease and a second one
 * running at the same time answers `{ status: 'busy' }` at once; list-dlq only reads.
 */
export async function executeCommand(
  deps: FlushDeps,
  command: FlushCommand,
  settings: FlushSettings,
  acquireLease: () => Promise<Lease | undefined>,
): Promise<FlushResult> {
  if (command.action === 'list-dlq') return { status: 'ok', parked: await listParked(deps) };

  const lease = await acquireLease();
  if (!lease) {
    deps.logger.info('Another flush holds the lease; exiting', { action: command.action });
    return { status: 'busy' };
  }
  try {
    return command.action === 'redrive'
      ? await redriveParked(deps, settings.deadline, command.eventId)
      : await runFlush(deps, settings);
  } finally {
    await lease.release();
  }
}
