import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { RawDynamoResult } from '../limits/raw-dynamodb';
import { measureRawDynamodb } from '../limits/raw-dynamodb';
import type { RawKafkaResult } from '../limits/raw-kafka';
import { measureRawKafka } from '../limits/raw-kafka';
import type { TopicMessage } from '../limits/topic-snapshot';

export interface LimitsOptions {
  endpoints: StackEndpoints;
  /** The messages scenario 1's pollers published. */
  messages: readonly TopicMessage[];
  /** Items per concurrency level and DynamoDB request style. */
  items: number;
  dynamodbPid?: number;
}

export interface LimitsResult {
  kafka: RawKafkaResult;
  dynamodb: RawDynamoResult;
  /** The lowest stage limit, records (or claim writes) per second: what ratioToLimit divides by. */
  slowerLimitRecordsPerSecond: number;
  slowerLimit: 'kafka' | 'dynamodb';
}

/**
 * Scenario 4, on the same servers as the pipeline: raw kafkajs produce + consume of the very
 * messages scenario 1 published, and DynamoDB Local's batched claim writes at their best
 * concurrency (bench/limits/raw-dynamodb.ts), each stage with nothing else in the way.
 */
export async function runLimits(options: LimitsOptions): Promise<LimitsResult> {
  const kafka = await measureRawKafka({
    brokers: options.endpoints.kafkaBrokers,
    messages: options.messages,
  });
  const dynamodb = await measureRawDynamodb({
    endpoint: options.endpoints.dynamodbEndpoint,
    region: options.endpoints.region,
    items: options.items,
    ...(options.dynamodbPid === undefined ? {} : { dynamodbPid: options.dynamodbPid }),
  });
  const claims = dynamodb.claimWritesPerSecond;
  const slowerLimit = kafka.recordsPerSecond <= claims ? 'kafka' : 'dynamodb';
  return {
    kafka,
    dynamodb,
    slowerLimit,
    slowerLimitRecordsPerSecond: Math.min(kafka.recordsPerSecond, claims),
  };
}
