import { z } from 'zod';

/** What the host passes to a function worker at start (Worker `workerData`). */
export const WorkerInitSchema = z.object({
  handlerModule: z.string().min(1),
  exportName: z.string().min(1),
  functionName: z.string().min(1),
  memoryMb: z.number().int().positive(),
  region: z.string().min(1),
  account: z.string().min(1),
  preloadModules: z.array(z.string().min(1)).default([]),
});
export type WorkerInit = z.infer<typeof WorkerInitSchema>;

/** Host → worker: run the handler once. */
export const InvokeMessageSchema = z.object({
  type: z.literal('invoke'),
  awsRequestId: z.string().min(1),
  deadlineMs: z.number(),
  event: z.unknown(),
});
export type InvokeMessage = z.infer<typeof InvokeMessageSchema>;

/** Lambda's error shape for a failed invocation (`errorType`, `errorMessage`, `stackTrace`). */
export const InvocationErrorSchema = z.object({
  errorType: z.string(),
  errorMessage: z.string(),
  stackTrace: z.array(z.string()),
});
export type InvocationErrorPayload = z.infer<typeof InvocationErrorSchema>;

/** Worker → host. */
export const WorkerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('result'), awsRequestId: z.string(), payload: z.unknown() }),
  z.object({ type: z.literal('error'), awsRequestId: z.string(), error: InvocationErrorSchema }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

export function toInvocationError(error: unknown): InvocationErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      stackTrace: (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), stackTrace: [] };
}
