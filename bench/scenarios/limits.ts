import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { RawDynamoResult } from '../limits/raw-dynamodb';
import { measureRawConditionalPuts } from '../limits/raw-dynamodb';
import type { RawKafkaResult } from '../limits/raw-kafka';
import { measureRawKafka } from '../limits/raw-kafka';
import type { TopicMessage } from '../limits/topic-snapshot';

export interface LimitsOptions {
  endpoints: StackEndpoints;
  /** The messages scenario 1's pollers published. */
  messages: readonly TopicMessage[];
  /** Conditional puts per concurrency level (a steady-state rate needs no more than ~20,000). */
  puts: number;
}

export interface LimitsResult {
  kafka: RawKafkaResult;
  dynamodb: RawDynamoResult;
  /** The slower of the two raw limits, in records (or puts) per second. */
  slowerLimitRecordsPerSecond: number;
  slowerLimit: 'kafka' | 'dynamodb';
}

/**
 * Scenario 4, on the same servers as the pipeline: raw kafkajs produce + consume of the very
 * messages scenario 1 published, and raw DynamoDB Local conditional PutItem throughput (the
 * idempotency claim's shape). Both are bench/limits/ (helper B's measurement code).
 */
export async function runLimits(options: LimitsOptions): Promise<LimitsResult> {
  const kafka = await measureRawKafka({
    brokers: options.endpoints.kafkaBrokers,
    messages: options.messages,
  });
  const dynamodb = await measureRawConditionalPuts({
    endpoint: options.endpoints.dynamodbEndpoint,
    region: options.endpoints.region,
    puts: options.puts,
  });
  const slowerLimit = kafka.recordsPerSecond <= dynamodb.putsPerSecond ? 'kafka' : 'dynamodb';
  return {
    kafka,
    dynamodb,
    slowerLimit,
    slowerLimitRecordsPerSecond: Math.min(kafka.recordsPerSecond, dynamodb.putsPerSecond),
  };
}
