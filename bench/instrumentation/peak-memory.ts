import { readFileSync } from 'node:fs';

export interface PeakMemory {
  /** The bench process: its own code, the mock APIs and every function (worker threads). */
  benchProcessMiB: number;
  /** Each server JVM's high-water resident set (VmHWM), by server name. */
  serversMiB: Record<string, number>;
  totalMiB: number;
}

/**
 * Peak resident memory so far: `process.resourceUsage().maxRSS` of this process, plus each
 * server JVM's `VmHWM` from /proc (Linux; a server whose status cannot be read counts as absent).
 */
export function peakMemory(serverPids: Record<string, number>): PeakMemory {
  const benchProcessMiB = process.resourceUsage().maxRSS / 1024;
  const serversMiB: Record<string, number> = {};
  for (const [name, pid] of Object.entries(serverPids)) {
    const kib = vmHighWaterKiB(pid);
    if (kib !== undefined) serversMiB[name] = kib / 1024;
  }
  const totalMiB = benchProcessMiB + Object.values(serversMiB).reduce((sum, v) => sum + v, 0);
  return { benchProcessMiB, serversMiB, totalMiB };
}

/** `VmHWM:   123456 kB` from /proc/<pid>/status. */
export function vmHighWaterKiB(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return parseVmHighWater(status);
}

export function parseVmHighWater(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) : undefined;
}
