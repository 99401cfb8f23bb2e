/**
 * Counts the requests the baseline really sends, at its clients, instead of estimating them from
 * the number of records, with the bench's own counters (bench/instrumentation): the SDK middleware
 * (every attempt), kafkajs REQUEST events and a counting fetch. They are attached to the
 * baseline's clients only, not installed for the thread: the baseline runs in the bench's main
 * thread, next to the bench's setup clients and the pipeline's event source mapping.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { countAwsSdkRequests } from '../instrumentation/aws-sdk-counter';
import { countingFetch } from '../instrumentation/fetch-counter';
import type { KafkaClient } from '../instrumentation/kafkajs-counter';
import { countKafkaRequests } from '../instrumentation/kafkajs-counter';
import { isMeasure } from '../report/request-summary';
import { RequestTally } from '../instrumentation/request-tally';

/** The requests one run of the baseline sent, per round trip of the old design. */
export interface BaselineRequests {
  /** Every DynamoDB request (the per-record claims), retries included. */
  dynamodb: number;
  /** Every POST to Analytics, retries included. */
  analyticsPosts: number;
  kafkaFetches: number;
  offsetCommits: number;
}

export interface BaselineClients {
  dynamodb: Pick<DynamoDBClient, 'middlewareStack'>;
  consumer: KafkaClient;
  /** What the counting fetch passes requests to; default: the global fetch. */
  fetch?: typeof fetch;
}

export interface BaselineRequestCounters {
  /** Hand this to the baseline's HTTP client: its requests are counted. */
  fetch: typeof fetch;
  /** What was counted so far. */
  requests(): BaselineRequests;
}

/** Counts from now on every request the baseline's clients send. */
export function countBaselineRequests(clients: BaselineClients): BaselineRequestCounters {
  const tally = new RequestTally();
  countAwsSdkRequests(clients.dynamodb, tally);
  countKafkaRequests(clients.consumer, tally);
  return {
    fetch: countingFetch(tally, clients.fetch),
    requests: () => {
      const counts = tally.snapshot();
      const sum = (matches: (key: string) => boolean): number =>
        Object.entries(counts)
          .filter(([key]) => matches(key))
          .reduce((total, [, value]) => total + value, 0);
      return {
        dynamodb: sum((key) => key.startsWith('dynamodb.') && !isMeasure(key)),
        analyticsPosts: sum((key) => key.startsWith('http.POST ')),
        kafkaFetches: counts['kafka.Fetch'] ?? 0,
        offsetCommits: counts['kafka.OffsetCommit'] ?? 0,
      };
    },
  };
}
