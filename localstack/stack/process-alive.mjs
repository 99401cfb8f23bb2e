/* global process */
// Plain JavaScript: the watchdog (bare `node`) imports it as well as server-process.ts.
import { readFileSync } from 'node:fs';

/**
 * True while the pid exists (signal 0) and is not a zombie: an init that never reaps (some
 * container and microVM inits) leaves killed orphans as zombies, which hold no memory or ports.
 */
export function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    // No /proc (macOS) or the process vanished meanwhile.
    return true;
  }
}

/** Sends `signal` to `pid`; a process already gone is no error. */
export function signalQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
