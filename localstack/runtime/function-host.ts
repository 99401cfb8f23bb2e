import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import { MAX_INVOCATION_PAYLOAD_BYTES } from './msk-event';
import type { InvocationErrorPayload, WorkerInit, WorkerMessage } from './worker-protocol';

/** One deployable function as the local runtime hosts it. */
export interface FunctionDefinition {
  functionName: string;
  /** Absolute path of the handler module (TypeScript is fine), which exports `handler`. */
  handlerModule: string;
  /** The function's own environment; the host's process.env is NOT inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
  /** Execution environments that may run at once (reserved concurrency). */
  maxConcurrency?: number;
  region: string;
  /** Imported before the handler, like a layer's `NODE_OPTIONS=--import` (bench/chaos only). */
  preloadModules?: string[];
}

export interface OutputLine {
  functionName: string;
  stream: 'stdout' | 'stderr';
  text: string;
}
export type OutputListener = (line: OutputLine) => void;

/** A failed invocation, carrying Lambda's error payload. */
export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly payload: InvocationErrorPayload,
  ) {
    super(`${functionName}: ${payload.errorType}: ${payload.errorMessage}`);
    this.name = 'InvocationError';
  }
}

const WORKER_ENTRY = new URL('./function-worker.ts', import.meta.url);
/** tsx's loader, resolved from here (`--import tsx` would resolve it from the cwd): the worker imports TypeScript. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Pending {
  awsRequestId: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One execution environment: a worker thread with its own env, one invocation at a time. A timeout
 * terminates it, as Lambda recycles a sandbox after "Task timed out".
 */
class ExecutionEnvironment {
  private readonly worker: Worker;
  /** Resolves once the handler module is imported; rejects with the cold-start error. */
  readonly ready: Promise<void>;
  private pending: Pending | undefined;
  alive = true;

  constructor(
    private readonly definition: FunctionDefinition,
    onOutput: OutputListener,
  ) {
    const { functionName, handlerModule, memoryMb, region, preloadModules = [] } = definition;
    const init: WorkerInit = { handlerModule, functionName, memoryMb, region, preloadModules };
    this.worker = new Worker(WORKER_ENTRY, {
      execArgv: ['--import', TSX_LOADER],
      env: definition.env,
      workerData: init,
      stdout: true,
      stderr: true,
      name: functionName,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.worker[stream], crlfDelay: Infinity }).on('line', (text) =>
        onOutput({ functionName, stream, text }),
      );
    }

    // The worker's messages and its death settle `ready` as well as the invocations.
    this.ready = new Promise<void>((markReady, failInit) => {
      this.worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          markReady();
          return;
        }
        const pending = this.take(message.awsRequestId);
        if (message.type === 'result') pending?.resolve(message.payload);
        else pending?.reject(new InvocationError(functionName, message.error));
      });
      const die = (errorMessage: string, stack = ''): void => {
        const trace = stack.split('\n').slice(1);
        const error = invocationError(functionName, 'Runtime.ExitError', errorMessage, trace);
        this.alive = false;
        failInit(error);
        this.take(this.pending?.awsRequestId)?.reject(error);
      };
      this.worker.on('error', (error: Error) =>
        die(`execution environment crashed: ${error.message}`, error.stack),
      );
      this.worker.on('exit', (code) => die(`execution environment exited with code ${code}`));
    });
    // A cold-start failure must not become an unhandled rejection before anyone invokes.
    this.ready.catch(() => undefined);
  }

  async invoke(event: unknown): Promise<unknown> {
    await this.ready;
    const awsRequestId = randomUUID();
    const { timeoutMs, functionName } = this.definition;
    const deadlineMs = Date.now() + timeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Only this invocation's own deadline may recycle the sandbox: a later one may be running.
        if (!this.take(awsRequestId)) return;
        const message = `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
        reject(invocationError(functionName, 'Sandbox.Timedout', message));
        void this.terminate();
      }, timeoutMs);
      this.pending = { awsRequestId, resolve, reject, timer };
      try {
        this.worker.postMessage({ type: 'invoke', awsRequestId, deadlineMs, event });
      } catch (error) {
        // Not cloneable: its timer must not outlive this call and recycle a later sandbox.
        this.take(awsRequestId);
        const reason = `the event cannot be passed to the function: ${(error as Error).message}`;
        reject(invocationError(functionName, 'InvalidRequestContentException', reason));
      }
    });
  }

  /** Takes the pending invocation, its timer stopped, if it is the one named. */
  private take(awsRequestId: string | undefined): Pending | undefined {
    const pending = this.pending;
    if (!pending || pending.awsRequestId !== awsRequestId) return undefined;
    clearTimeout(pending.timer);
    this.pending = undefined;
    return pending;
  }

  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}

/**
 * Lambda documents no depth limit, but structured clone and JSON, both recursive, overflow the
 * stack at a few thousand levels. Real events nest a handful (an MSK event with headers: 7).
 */
export const MAX_EVENT_DEPTH = 64;

/** Depth of nested objects/arrays, walked without recursion; stops once past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_EVENT_DEPTH): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth });
  }
  return deepest;
}

function invocationError(
  functionName: string,
  errorType: string,
  errorMessage: string,
  stackTrace: string[] = [],
): InvocationError {
  return new InvocationError(functionName, { errorType, errorMessage, stackTrace });
}

/**
 * Hosts one function: a pool of execution environments up to its concurrency limit. Invocations
 * beyond the limit wait, in order, for a free environment (the local stand-in for throttling + retry).
 */
export class FunctionHost {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly outputListeners: OutputListener[] = [];
  /** One slot per environment that may be in use at once. */
  private readonly slots: ReturnType<typeof pLimit>;
  private invoked = 0;
  private closed = false;

  constructor(readonly definition: FunctionDefinition) {
    this.slots = pLimit(definition.maxConcurrency ?? 1);
  }

  get functionName(): string {
    return this.definition.functionName;
  }

  /** Invocations requested since the host was created (what Lambda bills as requests). */
  get invocations(): number {
    return this.invoked;
  }

  /** Invocations currently running or waiting for an environment. */
  get inFlight(): number {
    return this.slots.activeCount + this.slots.pendingCount;
  }

  /** Returns the unsubscribe. */
  onOutput(listener: OutputListener): () => void {
    this.outputListeners.push(listener);
    return () => {
      const index = this.outputListeners.indexOf(listener);
      if (index >= 0) this.outputListeners.splice(index, 1);
    };
  }

  /** Synchronous (RequestResponse) invocation: resolves with the handler's JSON result. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.closed) throw new Error(`${this.functionName} host is closed`);
    // What Lambda (or this runtime) refuses before any sandbox sees it.
    if (nestingDepth(event) > MAX_EVENT_DEPTH) {
      const reason = `the event nests deeper than ${MAX_EVENT_DEPTH} levels`;
      throw invocationError(this.functionName, 'InvalidRequestContentException', reason);
    }
    if (Buffer.byteLength(JSON.stringify(event ?? null)) > MAX_INVOCATION_PAYLOAD_BYTES) {
      const reason = `Request must be smaller than ${MAX_INVOCATION_PAYLOAD_BYTES} bytes for the InvokeFunction operation`;
      throw invocationError(this.functionName, 'RequestEntityTooLargeException', reason);
    }
    this.invoked += 1;
    return this.withEnvironment((environment) => environment.invoke(event));
  }

  /** Starts one environment ahead of the first invocation, so cold-start errors surface early. */
  warm(): Promise<void> {
    return this.withEnvironment((environment) => environment.ready);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((environment) => environment.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  /** Runs `use` in a slot, on an idle environment or a new one; a dead one is dropped after. */
  private withEnvironment<T>(use: (environment: ExecutionEnvironment) => Promise<T>): Promise<T> {
    return this.slots(async () => {
      if (this.closed) throw new Error(`${this.functionName} host is closed`);
      const environment = this.idle.pop() ?? this.spawn();
      try {
        return await use(environment);
      } finally {
        if (environment.alive) this.idle.push(environment);
        else this.all.delete(environment);
      }
    });
  }

  private spawn(): ExecutionEnvironment {
    const environment = new ExecutionEnvironment(this.definition, (line) => {
      for (const listener of this.outputListeners) listener(line);
    });
    this.all.add(environment);
    return environment;
  }
}
