/* global process, setInterval, setTimeout */
// Spawned detached by `startLocalStack`: kills the server JVMs once the parent is gone (a SIGKILLed
// parent runs no exit hooks) and exits once they have. Plain JavaScript: starts with bare `node`.
// argv: <parentPid> <graceMs> <dataDir> <jvmPid>...
import { rmSync } from 'node:fs';
import { isProcessAlive, signalQuietly } from './process-alive.mjs';

const [parentArg, graceArg, dataDir, ...pidArgs] = process.argv.slice(2);
const parentPid = Number(parentArg);
const graceMs = Number(graceArg);
const jvmPids = pidArgs.map(Number);
const pollMs = 250;

let reaping = false;
setInterval(() => {
  const running = jvmPids.filter(isProcessAlive);
  const parentGone = !isProcessAlive(parentPid);
  if (running.length === 0) {
    if (parentGone) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
  if (parentGone && !reaping) {
    reaping = true;
    running.forEach((pid) => signalQuietly(pid, 'SIGTERM'));
    setTimeout(() => {
      jvmPids.filter(isProcessAlive).forEach((pid) => signalQuietly(pid, 'SIGKILL'));
    }, graceMs);
  }
}, pollMs);
