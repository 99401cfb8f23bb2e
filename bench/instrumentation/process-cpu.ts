import { readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined if gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the full line (utime, stime) are 11 and 12 after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds per named process since `start()`; the per-process share of a run's CPU. */
export class ProcessCpuMeter {
  private readonly baseline = new Map<string, number>();

  constructor(private readonly pids: () => Record<string, number>) {}

  start(): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      this.baseline.set(name, processCpuSeconds(pid) ?? 0);
    }
  }

  /** CPU seconds used by each process since start (a restarted process counts from zero). */
  read(): Record<string, number> {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const now = processCpuSeconds(pid) ?? 0;
      const base = this.baseline.get(name) ?? 0;
      used[name] = Math.max(0, now >= base ? now - base : now);
    }
    return used;
  }
}
