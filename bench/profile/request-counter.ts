/**
 * Preloaded in each function's worker (FunctionDefinition.preloadModules) by profile-pipeline.ts:
 * counts every AWS SDK request a handler sends (DynamoDB and S3, per command) and every kafkajs
 * produce call, and reports the running totals to the main thread over a BroadcastChannel.
 * Patching the client prototypes counts what the handlers really send (retries by the SDK's own
 * retry strategy included once per `send`), without touching handler code.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Kafka } from 'kafkajs';
import type { RequestCountReport } from './request-count-channel';
import { REQUEST_COUNT_CHANNEL } from './request-count-channel';

const counts: Record<string, number> = {};
const count = (name: string, by = 1): void => {
  counts[name] = (counts[name] ?? 0) + by;
};

type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

function countSends(prototype: { send: Send }, service: string): void {
  const original = prototype.send;
  prototype.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
    const name = `${service}.${commandName(command)}`;
    count(name);
    const startedAt = performance.now();
    // Latency in ms, summed (reported as `<name>.ms`): time spent waiting on the server + the SDK.
    const settle = (): void => count(`${name}.ms`, performance.now() - startedAt);
    const sent = original.call(this, command, ...rest);
    sent.then(settle, settle);
    return sent;
  };
}

function commandName(command: unknown): string {
  const name = (command as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return (name ?? 'Unknown').replace(/Command$/, '');
}

countSends(DynamoDBClient.prototype as unknown as { send: Send }, 'dynamodb');
countSends(S3Client.prototype as unknown as { send: Send }, 's3');

// kafkajs builds producers in a factory: wrap it so each producer's send/sendBatch is counted.
const originalProducer = Kafka.prototype.producer;
Kafka.prototype.producer = function (this: Kafka, ...args: Parameters<Kafka['producer']>) {
  const producer = originalProducer.apply(this, args);
  const send = producer.send.bind(producer);
  producer.send = (record) => {
    count('kafka.ProduceCall');
    count('kafka.ProducedMessages', record.messages.length);
    return send(record);
  };
  return producer;
};

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown';
const channel = new BroadcastChannel(REQUEST_COUNT_CHANNEL);
channel.unref();
const timer = setInterval(() => {
  const report: RequestCountReport = { functionName, threadId, counts: { ...counts } };
  channel.postMessage(report);
}, 250);
timer.unref();
