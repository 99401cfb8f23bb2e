import type { MessagePort } from 'node:worker_threads';
import { z } from 'zod';
import type { InvocationTiming } from './request-channel';

/** The parts of the local runtime's worker protocol (localstack/runtime/worker-protocol.ts) timed here. */
const InvokeSchema = z.object({ type: z.literal('invoke'), awsRequestId: z.string() }).loose();
const SettledSchema = z
  .object({ type: z.enum(['result', 'error']), awsRequestId: z.string() })
  .loose();

/**
 * Times each invocation inside the execution environment, from the `invoke` message to the
 * `result`/`error` reply: the handler's duration, which Lambda bills in GB-seconds. Listening on
 * the worker's parent port (registered before the runtime's own listener, as a preload) and
 * wrapping its `postMessage` leaves the runtime untouched.
 */
export function timeInvocations(
  port: MessagePort,
  onSettled: (timing: InvocationTiming) => void,
): void {
  const started = new Map<string, number>();
  port.on('message', (raw: unknown) => {
    const invoke = InvokeSchema.safeParse(raw);
    if (invoke.success) started.set(invoke.data.awsRequestId, Date.now());
  });
  const originalPostMessage = port.postMessage.bind(port);
  port.postMessage = (message: unknown, ...rest: unknown[]) => {
    const settled = SettledSchema.safeParse(message);
    const startMs = settled.success ? started.get(settled.data.awsRequestId) : undefined;
    if (settled.success && startMs !== undefined) {
      started.delete(settled.data.awsRequestId);
      onSettled({ startMs, endMs: Date.now() });
    }
    return (originalPostMessage as (message: unknown, ...rest: unknown[]) => void)(
      message,
      ...rest,
    );
  };
}
