/**
 * Entry point of one function's worker thread: the local equivalent of a Lambda execution
 * environment. Imports the handler module once (cold start) and then serves invocations, one at
 * a time, over the parent port.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { LocalContext } from './lambda-context';
import { createLambdaContext } from './lambda-context';
import type { WorkerMessage } from './worker-protocol';
import { InvokeMessageSchema, WorkerInitSchema, toInvocationError } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('function-worker must run in a worker thread');

const init = WorkerInitSchema.parse(workerData);
// In order, before the handler module builds its clients (the handler's cold start).
for (const preload of init.preloadModules) await import(pathToFileURL(preload).href);
const loaded = (await import(pathToFileURL(init.handlerModule).href)) as Record<string, unknown>;
const exported = loaded[init.exportName];
if (typeof exported !== 'function') {
  throw new Error(`${init.handlerModule} does not export a function named ${init.exportName}`);
}
const handler = exported as (event: unknown, context: LocalContext) => unknown;

const send = (message: WorkerMessage): void => port.postMessage(message);

async function serve(raw: unknown): Promise<void> {
  const parsed = InvokeMessageSchema.safeParse(raw);
  // Only the host talks to this port; anything else is ignored rather than crashing the sandbox.
  if (!parsed.success) return;
  const message = parsed.data;
  const context = createLambdaContext(
    {
      functionName: init.functionName,
      memoryMb: init.memoryMb,
      region: init.region,
      account: init.account,
    },
    { awsRequestId: message.awsRequestId, deadlineMs: message.deadlineMs },
  );
  try {
    const result: unknown = await handler(message.event, context);
    // Lambda serializes the response as JSON: undefined becomes null, class instances plain data.
    const payload: unknown = result === undefined ? null : JSON.parse(JSON.stringify(result));
    send({ type: 'result', awsRequestId: message.awsRequestId, payload });
  } catch (error) {
    send({ type: 'error', awsRequestId: message.awsRequestId, error: toInvocationError(error) });
  }
}

port.on('message', (raw: unknown) => void serve(raw));

send({ type: 'ready' });
