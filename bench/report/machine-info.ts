import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  java: string;
  commit: string;
  /** Uncommitted changes in the checkout the figures came from. */
  dirty: boolean;
}

/** Where the figures were measured; a command that fails reports "unknown" rather than aborting. */
export function machineInfo(): MachineInfo {
  const processors = cpus();
  const status = run('git', ['status', '--porcelain']);
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    // `java -version` writes to stderr; its first line names the version.
    java: run('java', ['-version'], true).split('\n')[0] ?? 'unknown',
    commit: run('git', ['rev-parse', 'HEAD']),
    dirty: status !== 'unknown' && status.length > 0,
  };
}

function run(command: string, args: string[], fromStderr = false): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) return 'unknown';
  return (fromStderr ? result.stderr : result.stdout).trim();
}
