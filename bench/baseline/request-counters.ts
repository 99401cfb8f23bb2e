/**
 * Counts the requests the baseline really sends, at the client, instead of estimating them from
 * the number of records: AWS SDK requests with a middleware, kafkajs requests from its
 * instrumentation events, HTTP requests by wrapping fetch.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Consumer } from 'kafkajs';

/** A running count of requests sent. */
export interface RequestCounter {
  readonly count: number;
}

/**
 * Counts every HTTP request the SDK client sends, retries included: the middleware sits at the
 * innermost step (deserialize), which runs once per attempt, inside the retry loop.
 */
export function countSdkRequests(client: Pick<DynamoDBClient, 'middlewareStack'>): RequestCounter {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next) => (args) => {
      counter.count++;
      return next(args);
    },
    { step: 'deserialize', name: 'benchRequestCounter' },
  );
  return counter;
}

/** Counts the consumer's requests by kafkajs API name (e.g. `Fetch`, `OffsetCommit`). */
export function countKafkaRequests(consumer: Consumer): {
  byApi: ReadonlyMap<string, number>;
  of(apiName: string): number;
} {
  const byApi = new Map<string, number>();
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    byApi.set(payload.apiName, (byApi.get(payload.apiName) ?? 0) + 1);
  });
  return { byApi, of: (apiName) => byApi.get(apiName) ?? 0 };
}

/** A fetch that counts the requests it makes by method (every attempt of a retrying client). */
export function countingFetch(inner: typeof fetch = fetch): {
  fetch: typeof fetch;
  of(method: string): number;
} {
  const byMethod = new Map<string, number>();
  const counted: typeof fetch = (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    byMethod.set(method, (byMethod.get(method) ?? 0) + 1);
    return inner(input, init);
  };
  return { fetch: counted, of: (method) => byMethod.get(method.toUpperCase()) ?? 0 };
}
