/** What the host passes to a function worker at start (Worker `workerData`). */
export interface WorkerInit {
  handlerModule: string;
  functionName: string;
  memoryMb: number;
  region: string;
  preloadModules: string[];
}

/** Host → worker: run the handler once. */
export interface InvokeMessage {
  type: 'invoke';
  awsRequestId: string;
  deadlineMs: number;
  event: unknown;
}

/** Lambda's error shape for a failed invocation (`errorType`, `errorMessage`, `stackTrace`). */
export interface InvocationErrorPayload {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

/** Worker → host. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; awsRequestId: string; payload: unknown }
  | { type: 'error'; awsRequestId: string; error: InvocationErrorPayload };

export function toInvocationError(error: unknown): InvocationErrorPayload {
  if (!(error instanceof Error))
    return { errorType: 'Error', errorMessage: String(error), stackTrace: [] };
  const stackTrace = (error.stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim());
  return { errorType: error.name || 'Error', errorMessage: error.message, stackTrace };
}

/** The account id the local runtime pretends to run in (ARNs must look real to handlers). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export function functionArn(functionName: string, region: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}
