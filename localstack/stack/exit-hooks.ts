import { rmSync } from 'node:fs';

/**
 * Last-resort cleanup when this process ends without `stop()`: on 'exit' (sync only, so SIGKILL
 * straight away) and on SIGINT/SIGTERM. Stacks register here and unregister when stopped.
 */
interface Registration {
  pids: number[];
  dataDirToRemove: string | undefined;
}

const registrations = new Set<Registration>();
let installed = false;

function killEverything(): void {
  for (const registration of registrations) {
    for (const pid of registration.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (registration.dataDirToRemove) {
      rmSync(registration.dataDirToRemove, { recursive: true, force: true });
    }
  }
  registrations.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (the CLI stopping gracefully, a test runner) owns what a signal means; if it
  // exits the process, the 'exit' hook still cleans up.
  if (process.listenerCount(signal) > 1) return;
  killEverything();
  // Our listener suppressed Node's default "die on signal"; restore it and die the same way.
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killEverything);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

export function registerForExitCleanup(
  pids: number[],
  dataDirToRemove: string | undefined,
): () => void {
  const registration: Registration = { pids, dataDirToRemove };
  registrations.add(registration);
  install();
  return () => {
    registrations.delete(registration);
    if (registrations.size === 0) uninstall();
  };
}
