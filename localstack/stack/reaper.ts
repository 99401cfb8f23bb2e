import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const reaperScript = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.mjs');

/**
 * Starts the detached watchdog (`watchdog.mjs`) that kills the server JVMs if this process dies
 * without running its exit hooks (SIGKILL, OOM killer). Returns the reaper's pid.
 */
export function startReaper(
  serverPids: number[],
  graceMs: number,
  dataDirToRemove: string | undefined,
): number {
  const child = spawn(
    process.execPath,
    [
      reaperScript,
      String(process.pid),
      String(graceMs),
      dataDirToRemove ?? '',
      ...serverPids.map(String),
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the local stack reaper');
  return child.pid;
}
