import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerName } from './artifacts';

/* One server JVM: spawned with its log file, guarded against outliving this process (exit hooks, a detached watchdog), stopped, restarted. */

/** A spawned server JVM whose stdout/stderr go to a log file (so it never blocks on a pipe). */
interface ServerProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
  stop(graceMs: number): Promise<void>;
}

function spawnServer(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
}): ServerProcess {
  const logFd = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  if (child.pid === undefined) {
    throw new Error(`could not start ${options.name} (${options.command})`);
  }
  const pid = child.pid;

  let exitedFlag = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve(signal ?? String(code));
    });
    child.once('error', (error) => {
      exitedFlag = true;
      resolve(`spawn error: ${error.message}`);
    });
  });

  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => exitedFlag,
    async stop(graceMs) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exitedFlag) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last lines of a log file, for error messages about a server that did not come up. */
export function logTail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log written)';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n') || '(log is empty)';
}

/**
 * True while a process with this pid exists (signal 0 only checks) and is not a zombie. Orphans
 * are re-parented to pid 1, and an init that never reaps (some container and microVM inits)
 * leaves killed orphans as zombies: they hold no memory or ports, so they count as gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    // No /proc (macOS) or the process vanished meanwhile.
    return false;
  }
}

const reaperScript = join(dirname(fileURLToPath(import.meta.url)), 'watchdog.mjs');

/**
 * Starts the detached watchdog (`watchdog.mjs`) that kills the server JVMs if this process dies
 * without running its exit hooks (SIGKILL, OOM killer). Returns the reaper's pid.
 */
function startReaper(serverPid: number, dataDir: string): number {
  const child = spawn(
    process.execPath,
    [reaperScript, String(process.pid), String(stopGraceMs), dataDir, String(serverPid)],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the local stack reaper');
  return child.pid;
}

/**
 * Last-resort cleanup when this process ends without `stop()`: on 'exit' (sync only, so SIGKILL
 * straight away) and on SIGINT/SIGTERM. Stacks register here and unregister when stopped.
 */
interface Registration {
  pids: number[];
  dataDir: string;
}

const registrations = new Set<Registration>();
let installed = false;

function killEverything(): void {
  for (const registration of registrations) {
    for (const pid of registration.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
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
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killEverything);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

export function registerForExitCleanup(pids: number[], dataDir: string): () => void {
  const registration: Registration = { pids, dataDir };
  registrations.add(registration);
  install();
  return () => {
    registrations.delete(registration);
    if (registrations.size === 0) uninstall();
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
 * One server JVM that can be killed and spawned again with the same arguments, ports and data
 * directory. Every incarnation gets its own watchdog the moment it exists, so no window is
 * unguarded, and once `stop()` has been called no new incarnation is ever spawned: a restart
 * racing with `stop()` fails instead of leaving a JVM behind.
 */
export class RestartableServer {
  readonly name: ServerName;
  private current: ServerProcess | undefined;
  private retired = false;
  private restarting: Promise<ServerRestart> | undefined;

  constructor(
    private readonly spec: ServerLaunchSpec,
    private readonly guards: ServerGuards,
  ) {
    this.name = spec.name;
    mkdirSync(spec.dir, { recursive: true });
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** Spawns a new incarnation; the caller then waits for `waitHealthy`. */
  spawn(): number {
    if (this.retired)
      throw new Error(`local stack: ${this.name} was stopped; not spawning it again`);
    const child = spawnServer({
      name: this.name,
      command: 'java',
      args: this.spec.args,
      cwd: this.spec.dir,
      logFile: join(this.spec.dir, 'console.log'),
    });
    this.current = child;
    this.guards.exitCleanupPids.push(child.pid);
    this.guards.serverPids[this.name] = child.pid;
    this.guards.reapers.push(startReaper(child.pid, this.guards.dataDir));
    void child.exited.then(() => removeValue(this.guards.exitCleanupPids, child.pid));
    return child.pid;
  }

  /** Polls the probe until it succeeds; throws with the log tail if the JVM exits or time runs out. */
  async waitHealthy(): Promise<void> {
    const child = this.running();
    const deadline = Date.now() + startTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child.hasExited()) {
        throw this.failure(child, `exited (${await child.exited}) before becoming healthy`);
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
    throw this.failure(
      child,
      `was not healthy after ${startTimeoutMs} ms (last probe error: ${reason})`,
    );
  }

  /**
   * Kills the current JVM with `signal`, waits until it is gone and `downMs` more, spawns it again
   * and resolves once it is healthy. Concurrent calls for the same server are refused: two chaos
   * faults on one server at once would make neither's figures mean anything.
   */
  restart(options: RestartServerOptions): Promise<ServerRestart> {
    if (this.restarting) {
      return Promise.reject(new Error(`local stack: ${this.name} is already being restarted`));
    }
    const restarting = this.runRestart(options).finally(() => {
      this.restarting = undefined;
    });
    this.restarting = restarting;
    return restarting;
  }

  /** SIGTERM, SIGKILL after the grace period; retires the server so it is never spawned again. */
  async stop(): Promise<void> {
    this.retired = true;
    await this.current?.stop(stopGraceMs);
  }

  private async runRestart(options: RestartServerOptions): Promise<ServerRestart> {
    const signal = options.signal ?? 'SIGKILL';
    const downMs = options.downMs ?? 0;
    const old = this.running();
    const startedAt = Date.now();
    if (!old.hasExited()) process.kill(old.pid, signal);
    await old.exited;
    const exitMs = Date.now() - startedAt;
    if (downMs > 0) await sleep(downMs);

    const pid = this.spawn();
    const spawnedAt = Date.now();
    await this.waitHealthy();
    const readyMs = Date.now() - spawnedAt;
    return {
      name: this.name,
      signal,
      exitMs,
      downMs,
      readyMs,
      totalMs: Date.now() - startedAt,
      pid,
    };
  }

  private running(): ServerProcess {
    if (!this.current) throw new Error(`local stack: ${this.name} was never started`);
    return this.current;
  }

  private failure(child: ServerProcess, what: string): Error {
    const tails = [`--- ${child.logFile} ---\n${logTail(child.logFile)}`];
    const extra = this.spec.extraLogFile;
    if (extra) tails.push(`--- ${extra} ---\n${logTail(extra)}`);
    return new Error(`local stack: ${this.name} ${what}\n${tails.join('\n')}`);
  }
}

function removeValue(values: number[], value: number): void {
  const index = values.indexOf(value);
  if (index >= 0) values.splice(index, 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
