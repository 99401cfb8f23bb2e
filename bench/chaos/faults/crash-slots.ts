import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A crash budget shared by every execution environment of a run. Environments are worker threads
 * that die on purpose and are replaced by fresh ones, so the count cannot live in memory: each
 * crash takes one numbered file, created exclusively (`wx`), which is atomic across threads and
 * processes, so the budget holds exactly even when environments crash at the same moment. The
 * file holds the operation the crash followed, for the report.
 */
export interface CrashSlots {
  /** Takes a free slot for a crash after `operation`; false once the budget is spent. */
  claim(operation: string): boolean;
}

const slotPrefix = 'crash-';

export function fileCrashSlots(dir: string, maxCrashes: number): CrashSlots {
  let exhausted = maxCrashes <= 0;
  return {
    claim(operation) {
      for (let slot = 0; !exhausted && slot < maxCrashes; slot++) {
        try {
          writeFileSync(join(dir, `${slotPrefix}${slot}`), operation, { flag: 'wx' });
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      exhausted = true;
      return false;
    },
  };
}

/** The operations the crashes of a run followed, one entry per crash. */
export function readCrashes(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(slotPrefix))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}
