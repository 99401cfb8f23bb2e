import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ServerName } from './artifacts';
import { signalQuietly } from './process-alive.mjs';

export { isProcessAlive } from './process-alive.mjs';

/* One server JVM: spawned with its log file, guarded against outliving this process (exit hooks, a detached watchdog), stopped, restarted. */

/** The last lines of a log file, for error messages about a server that did not come up. */
export function logTail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log written)';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n') || '(log is empty)';
}

const reaperScript = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.mjs');

/** Last-resort cleanup without `stop()`: on 'exit' (sync only, so SIGKILL) and SIGINT/SIGTERM. */
const registrations = new Set<ServerGuards>();
let installed = false;

function killEverything(): void {
  for (const registration of registrations) {
    for (const pid of registration.exitCleanupPids) signalQuietly(pid, 'SIGKILL');
    rmSync(registration.dataDir, { recursive: true, force: true });
  }
  registrations.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (the CLI stopping gracefully, a test runner) owns what a signal means; if it
  // exits the process, the 'exit' hook still cleans up.
  if (process.listenerCount(signal) > 1) return;
  killEverything();
  // Our listener suppressed Node's default "die on signal"; restore it and die the same way.
  setHooks(false);
  process.kill(process.pid, signal);
}

function setHooks(install: boolean): void {
  if (installed === install) return;
  installed = install;
  for (const event of ['exit', 'SIGINT', 'SIGTERM'] as const) {
    const listener = event === 'exit' ? killEverything : onSignal;
    if (install) process.on(event, listener);
    else process.off(event, listener);
  }
}

export function registerForExitCleanup(registration: ServerGuards): () => void {
  registrations.add(registration);
  setHooks(true);
  return () => {
    registrations.delete(registration);
    if (registrations.size === 0) setHooks(false);
  };
}

const healthPollMs = 250;
/** How long a server may take to become healthy; between SIGTERM and SIGKILL when stopping. */
const startTimeoutMs = 180_000;
const stopGraceMs = 10_000;

export type RestartSignal = 'SIGKILL' | 'SIGTERM';

export interface RestartServerOptions {
  /** How the running JVM is ended; SIGKILL (default) is a crash, SIGTERM a clean shutdown. */
  signal?: RestartSignal;
  /** How long the server stays down between its exit and the new spawn; default 0. */
  downMs?: number;
}

/** What one restart took, for logs and chaos reports. */
export interface ServerRestart {
  name: ServerName;
  signal: RestartSignal;
  /** From the signal to the process being gone. */
  exitMs: number;
  downMs: number;
  /** From the new spawn to the first successful health probe. */
  readyMs: number;
  /** From the call to healthy again. */
  totalMs: number;
  pid: number;
}

/** How to run one server: the same arguments, directory and probe for every incarnation. */
export interface ServerLaunchSpec {
  name: ServerName;
  args: string[];
  /** Working directory; its `console.log` collects stdout/stderr of every incarnation. */
  dir: string;
  /** Resolves once the server answers a real client call. */
  probe: () => Promise<void>;
  /** A second log worth showing when the server does not come up (Kafka's log4j file). */
  extraLogFile?: string;
}

/** One spawned JVM of a server. */
interface Incarnation {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<string>;
  exitedYet: boolean;
}

/** The stack-wide process bookkeeping each incarnation joins (all mutated in place). */
export interface ServerGuards {
  /** The stack's temp dir, removed by the watchdog if this process dies first. */
  dataDir: string;
  /** The pids the exit hooks SIGKILL; a dead incarnation leaves it so a reused pid is never hit. */
  exitCleanupPids: number[];
  /** Watchdog pids, one per incarnation (a watchdog exits by itself once its JVM is gone). */
  reapers: number[];
  /** The current JVM pid per server, as `RunningStack.processes.servers` shows it. */
  serverPids: Partial<Record<ServerName, number>>;
}

/**
 * One server JVM that can be killed and spawned again with the same arguments, ports and data.
 * Every incarnation gets its watchdog the moment it exists; after `stop()` nothing is spawned
 * again, so a restart racing with `stop()` fails instead of leaving a JVM behind.
 */
export class RestartableServer {
  readonly name: ServerName;
  private current: Incarnation | undefined;
  private retired = false;
  private restarting = false;

  constructor(
    private readonly spec: ServerLaunchSpec,
    private readonly guards: ServerGuards,
  ) {
    this.name = spec.name;
    mkdirSync(spec.dir, { recursive: true });
  }

  private get logFile(): string {
    return join(this.spec.dir, 'console.log');
  }

  /** Spawns a new incarnation, its output to the log file (so it never blocks on a pipe); the caller then waits for `waitHealthy`. */
  spawn(): number {
    if (this.retired)
      throw new Error(`local stack: ${this.name} was stopped; not spawning it again`);
    const logFd = openSync(this.logFile, 'a');
    const child = spawn('java', this.spec.args, {
      cwd: this.spec.dir,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${this.name} (java)`);
    const incarnation: Incarnation = {
      child,
      exitedYet: false,
      exited: new Promise<string>((resolve) => {
        child.once('exit', (code, signal) => resolve(signal ?? String(code)));
        child.once('error', (error) => resolve(`spawn error: ${error.message}`));
      }),
    };
    const exitCleanupPids = this.guards.exitCleanupPids;
    void incarnation.exited.then(() => {
      incarnation.exitedYet = true;
      const at = exitCleanupPids.indexOf(pid);
      if (at >= 0) exitCleanupPids.splice(at, 1);
    });
    this.current = incarnation;
    exitCleanupPids.push(pid);
    this.guards.serverPids[this.name] = pid;
    // The detached watchdog kills the JVM if this process dies without exit hooks (SIGKILL, OOM).
    const reaper = spawn(
      process.execPath,
      [reaperScript, String(process.pid), String(stopGraceMs), this.guards.dataDir, String(pid)],
      { detached: true, stdio: 'ignore' },
    );
    reaper.unref();
    if (reaper.pid === undefined) throw new Error('could not start the local stack reaper');
    this.guards.reapers.push(reaper.pid);
    return pid;
  }

  /** Polls the probe until it succeeds; throws with the log tail if the JVM exits or time runs out. */
  async waitHealthy(): Promise<void> {
    const current = this.running();
    const deadline = Date.now() + startTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (current.exitedYet) {
        throw this.failure(`exited (${await current.exited}) before becoming healthy`);
      }
      try {
        await this.spec.probe();
        return;
      } catch (error) {
        lastError = error;
      }
      await sleep(healthPollMs);
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw this.failure(`was not healthy after ${startTimeoutMs} ms (last probe error: ${reason})`);
  }

  /**
   * Kills the current JVM with `signal`, waits until it is gone and `downMs` more, spawns it again
   * and resolves once it is healthy. Concurrent calls for the same server are refused: two chaos
   * faults on one server at once would make neither's figures mean anything.
   */
  async restart({ signal = 'SIGKILL', downMs = 0 }: RestartServerOptions): Promise<ServerRestart> {
    if (this.restarting) throw new Error(`local stack: ${this.name} is already being restarted`);
    this.restarting = true;
    try {
      const old = this.running();
      const startedAt = Date.now();
      if (!old.exitedYet) old.child.kill(signal);
      await old.exited;
      const exitMs = Date.now() - startedAt;
      if (downMs > 0) await sleep(downMs);

      const pid = this.spawn();
      const spawnedAt = Date.now();
      await this.waitHealthy();
      const readyMs = Date.now() - spawnedAt;
      const totalMs = Date.now() - startedAt;
      return { name: this.name, signal, exitMs, downMs, readyMs, totalMs, pid };
    } finally {
      this.restarting = false;
    }
  }

  /** SIGTERM, SIGKILL after the grace period; retires the server so it is never spawned again. */
  async stop(): Promise<void> {
    this.retired = true;
    const current = this.current;
    if (!current || current.exitedYet) return;
    current.child.kill('SIGTERM');
    const timer = setTimeout(() => current.child.kill('SIGKILL'), stopGraceMs);
    await current.exited;
    clearTimeout(timer);
  }

  private running(): Incarnation {
    if (!this.current) throw new Error(`local stack: ${this.name} was never started`);
    return this.current;
  }

  private failure(what: string): Error {
    const logs = [this.logFile, ...(this.spec.extraLogFile ? [this.spec.extraLogFile] : [])];
    const tails = logs.map((file) => `--- ${file} ---\n${logTail(file)}`).join('\n');
    return new Error(`local stack: ${this.name} ${what}\n${tails}`);
  }
}
