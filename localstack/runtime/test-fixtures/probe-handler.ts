import type { Context } from 'aws-lambda';

/** A handler for the function-host tests: its behaviour is chosen by the event. */
const loadedAt = Date.now();
/** Set by test-fixtures/probe-preload.ts when a test preloads it: read at import time. */
const preloadSeenAtImport = (globalThis as { probePreload?: string }).probePreload ?? null;
let invocations = 0;

type ProbeEvent =
  | { action: 'echo' }
  | { action: 'fail'; message: string }
  | { action: 'sleep'; ms: number }
  | { action: 'emf' };

export async function handler(event: ProbeEvent, context: Context): Promise<unknown> {
  invocations += 1;
  switch (event.action) {
    case 'fail':
      throw new TypeError(event.message);
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return { slept: event.ms };
    case 'emf':
      console.log(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [
              {
                Namespace: 'EcomSync',
                Dimensions: [['service']],
                Metrics: [{ Name: 'RecordsStaged', Unit: 'Count' }],
              },
            ],
          },
          service: 'probe',
          RecordsStaged: 7,
        }),
      );
      console.log(JSON.stringify({ level: 'INFO', message: 'not a metric' }));
      return null;
    default:
      return {
        env: {
          PROBE_SETTING: process.env.PROBE_SETTING ?? null,
          HOME_LEAKED: process.env.PROBE_PARENT_ONLY ?? null,
        },
        nodeVersion: process.version,
        loadedAt,
        invocations,
        preloadSeenAtImport,
        context: {
          functionName: context.functionName,
          awsRequestId: context.awsRequestId,
          invokedFunctionArn: context.invokedFunctionArn,
          memoryLimitInMB: context.memoryLimitInMB,
          remainingMs: context.getRemainingTimeInMillis(),
          callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
        },
      };
  }
}
