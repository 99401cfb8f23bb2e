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

/**
 * `maxPerOperation` caps the crashes after any one operation (same atomic files, per operation),
 * so that the first operation of every invocation cannot spend the whole budget.
 */
export function fileCrashSlots(
  dir: string,
  maxCrashes: number,
  maxPerOperation = maxCrashes,
): CrashSlots {
  const exhausted = new Set<string>();
  const take = (prefix: string, max: number, operation: string): boolean => {
    for (let slot = 0; !exhausted.has(prefix) && slot < max; slot++) {
      try {
        writeFileSync(join(dir, `${prefix}${slot}`), operation, { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    exhausted.add(prefix);
    return false;
  };
  return {
    claim(operation) {
      if (exhausted.has(slotPrefix)) return false;
      const perOperation = `op-${encodeURIComponent(operation)}-`;
      return (
        take(perOperation, maxPerOperation, operation) && take(slotPrefix, maxCrashes, operation)
      );
    },
  };
}

/** The operations the crashes of a run followed, one entry per crash. */
export function readCrashes(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(slotPrefix))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}
