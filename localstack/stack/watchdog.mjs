/* global process, setInterval, setTimeout */
// Spawned detached by `startLocalStack`: kills the server JVMs once the parent is gone (a SIGKILLed
// parent runs no exit hooks) and exits once they have. Plain JavaScript: starts with bare `node`.
// argv: <parentPid> <graceMs> <dataDir> <jvmPid>...
import { readFileSync, rmSync } from 'node:fs';

const [parentArg, graceArg, dataDir, ...pidArgs] = process.argv.slice(2);
const parentPid = Number(parentArg);
const graceMs = Number(graceArg);
const jvmPids = pidArgs.map(Number);
const pollMs = 250;

// Same rule as isProcessAlive in server-process.ts: a zombie (an orphan that pid 1 never
// reaped) is gone.
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

let reaping = false;
setInterval(() => {
  const running = jvmPids.filter(isAlive);
  const parentGone = !isAlive(parentPid);
  if (running.length === 0) {
    if (parentGone) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
  if (parentGone && !reaping) {
    reaping = true;
    running.forEach((pid) => signal(pid, 'SIGTERM'));
    setTimeout(() => {
      jvmPids.filter(isAlive).forEach((pid) => signal(pid, 'SIGKILL'));
    }, graceMs);
  }
}, pollMs);
