/** An execution environment's thread: imports the handler once, then serves one invocation at a time. */
import type { Context } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeMessage, WorkerInit, WorkerMessage } from './worker-protocol';
import { functionArn, toInvocationError } from './worker-protocol';

/** A Lambda context without the deprecated callback-era done/fail/succeed: handlers return a promise. */
type LocalContext = Omit<Context, 'done' | 'fail' | 'succeed'>;

const port = parentPort;
if (!port) throw new Error('function-worker must run in a worker thread');

const init = workerData as WorkerInit;
// In order, before the handler module builds its clients (the handler's cold start).
for (const preload of init.preloadModules) await import(pathToFileURL(preload).href);
const loaded = (await import(pathToFileURL(init.handlerModule).href)) as Record<string, unknown>;
if (typeof loaded.handler !== 'function') {
  throw new Error(`${init.handlerModule} does not export a function named handler`);
}
const handler = loaded.handler as (event: unknown, context: LocalContext) => unknown;

const send = (message: WorkerMessage): void => port.postMessage(message);

async function serve({ awsRequestId, deadlineMs, event }: InvokeMessage): Promise<void> {
  // Counts down to the deadline the host enforces, so time-budgeted handlers behave as on AWS.
  const context: LocalContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(init.functionName, init.region),
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const result: unknown = await handler(event, context);
    // Lambda serializes the response as JSON: undefined becomes null, class instances plain data.
    const payload: unknown = result === undefined ? null : JSON.parse(JSON.stringify(result));
    send({ type: 'result', awsRequestId, payload });
  } catch (error) {
    send({ type: 'error', awsRequestId, error: toInvocationError(error) });
  }
}

// Only the host posts to this port, and only invoke messages.
port.on('message', (message: InvokeMessage) => void serve(message));

send({ type: 'ready' });
