import { readCrashes } from './crash-slots';

/**
 * Calls `onCrash` (one at a time, in order) for each crash recorded in the slot directory since
 * the last look. Polling: crashes happen in worker threads that cannot tell the scenario anything
 * before they die. Returns `stop`, which waits for a running `onCrash` to finish.
 */
export function watchCrashes(
  slotDir: string,
  onCrash: (operation: string, count: number) => Promise<void>,
  intervalMs = 250,
): () => Promise<void> {
  let seen = 0;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const look = async (): Promise<void> => {
    const crashes = readCrashes(slotDir);
    while (!stopped && seen < crashes.length) {
      seen++;
      await onCrash(crashes[seen - 1]!, seen);
    }
  };
  const timer = setInterval(() => {
    running = running.then(look).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
