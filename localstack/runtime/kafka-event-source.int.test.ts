import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalStackEnv, localStack } from '../../test/support/local-stack';
import { FunctionHost } from './function-host';
import type { KafkaEventTarget, MappingActivity, MappingControls } from './kafka-event-source';
import { KafkaEventSource } from './kafka-event-source';
import type { KafkaEventRecord, KafkaLambdaEvent, MskLambdaEvent } from './msk-event';
import type { OnFailureRecord } from './msk-event';

/**
 * Contract tests of the Kafka event source mapping emulator against the real local Kafka.
 * Every test has its own topics and consumer group.
 */

let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;
const running: KafkaEventSource[] = [];

beforeAll(async () => {
  applyLocalStackEnv();
  kafka = new Kafka({
    clientId: 'esm-contract-test',
    brokers: [localStack().kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  return async () => {
    await producer.disconnect();
    await admin.disconnect();
  };
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((mapping) => mapping.stop()));
});

const unique = (name: string): string => `esm-${name}-${randomUUID().slice(0, 8)}`;

async function createTopic(
  name: string,
  partitions = 1,
  configEntries: { name: string; value: string }[] = [],
): Promise<string> {
  const topic = unique(name);
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
  });
  return topic;
}

async function produce(
  topic: string,
  values: string[],
  options: { partition?: number; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: values.map((value) => ({
      key: `key-${value}`,
      value,
      ...(options.partition === undefined ? {} : { partition: options.partition }),
      ...(options.timestamp === undefined ? {} : { timestamp: String(options.timestamp) }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    })),
  });
}

interface Invocation {
  event: KafkaLambdaEvent;
  records: KafkaEventRecord[];
  values: string[];
}

function startMapping(args: {
  topics: string[];
  groupId?: string;
  controls?: Partial<MappingControls>;
  target?: (invocation: Invocation) => unknown;
  maxConcurrency?: number;
}): {
  mapping: KafkaEventSource;
  invocations: Invocation[];
  activity: MappingActivity[];
  started: Promise<void>;
} {
  const invocations: Invocation[] = [];
  const activity: MappingActivity[] = [];
  const target: KafkaEventTarget = async (event) => {
    const records = Object.values(event.records).flat();
    const invocation = {
      event,
      records,
      values: records.map((r) => Buffer.from(r.value ?? '', 'base64').toString('utf8')),
    };
    invocations.push(invocation);
    return args.target ? args.target(invocation) : null;
  };
  const mapping = new KafkaEventSource({
    kafka,
    topics: args.topics,
    groupId: args.groupId ?? unique('group'),
    target,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:esm-test',
    source: {
      eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/test',
      bootstrapServers: localStack().kafkaBrokers,
    },
    controls: { maximumBatchingWindowInSeconds: 0.2, onFailureTopic: null, ...args.controls },
    ...(args.maxConcurrency === undefined ? {} : { maxConcurrency: args.maxConcurrency }),
    retryBackoffMs: 10,
    onActivity: (entry) => activity.push(entry),
  });
  running.push(mapping);
  return { mapping, invocations, activity, started: mapping.start() };
}

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** The on-failure messages on `topic`, with the key each was produced with. */
async function readOnFailure(
  topic: string,
  expected: number,
): Promise<{ key: string | null; record: OnFailureRecord }[]> {
  const consumer = kafka.consumer({ groupId: unique('reader') });
  const messages: { key: string | null; record: OnFailureRecord }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) =>
      void messages.push({
        key: message.key?.toString('utf8') ?? null,
        record: JSON.parse(message.value?.toString('utf8') ?? 'null') as OnFailureRecord,
      }),
  });
  await expect.poll(() => messages.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(expected);
  await consumer.disconnect();
  return messages;
}

const range = (n: number, prefix = 'm'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kafka event source mapping emulator', () => {
  it('delivers the exact MSK event shape', async () => {
    const topic = await createTopic('shape', 2);
    await produce(topic, ['zero'], { partition: 0, headers: { trace: 'ab' } });
    await produce(topic, ['one'], { partition: 1 });
    const { invocations, started } = startMapping({ topics: [topic] });
    await started;
    await expect
      .poll(() => invocations.flatMap((i) => i.records).length, { timeout: 30_000 })
      .toBe(2);
    const event = invocations[0]?.event as MskLambdaEvent;
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe('arn:aws:kafka:us-east-1:000000000000:cluster/local/test');
    expect(event.bootstrapServers).toBe(localStack().kafkaBrokers);
    const byKey = Object.fromEntries(invocations.flatMap((i) => Object.entries(i.event.records)));
    expect(Object.keys(byKey).sort()).toEqual([`${topic}-0`, `${topic}-1`]);
    const { timestamp, ...zero } = byKey[`${topic}-0`]![0]!;
    expect(timestamp).toBeTypeOf('number');
    expect(zero).toEqual({
      topic,
      partition: 0,
      offset: 0,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('key-zero').toString('base64'),
      value: Buffer.from('zero').toString('base64'),
      headers: [{ trace: [97, 98] }],
    });
    expect(byKey[`${topic}-1`]?.[0]?.headers).toEqual([]);
  });

  it('sends a tombstone without value and header bytes signed, as AWS does', async () => {
    const topic = await createTopic('tombstone');
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'gone', value: null, headers: { name: 'Zoë' } }],
    });
    const { invocations, started } = startMapping({ topics: [topic] });
    await started;
    await expect.poll(() => invocations.length, { timeout: 30_000 }).toBe(1);
    const [tombstone] = invocations[0]?.records ?? [];
    expect(tombstone).not.toHaveProperty('value');
    expect(tombstone?.headers).toEqual([{ name: [90, 111, -61, -85] }]);
  });

  it("reports LOG_APPEND_TIME, with the broker's time, for a topic that uses it", async () => {
    const topic = await createTopic('log-append-time', 1, [
      { name: 'message.timestamp.type', value: 'LogAppendTime' },
    ]);
    const before = Date.now();
    await produce(topic, ['x'], { timestamp: before - 3_600_000 });
    const { invocations, started } = startMapping({ topics: [topic] });
    await started;
    await expect.poll(() => invocations.length, { timeout: 30_000 }).toBe(1);
    const [record] = invocations[0]?.records ?? [];
    expect(record?.timestampType).toBe('LOG_APPEND_TIME');
    expect(record?.timestamp).toBeGreaterThanOrEqual(before - 5_000);
  });

  it('never puts more than batchSize records in one invocation', async () => {
    const topic = await createTopic('batch-size');
    await produce(topic, range(25));
    const { invocations, started } = startMapping({ topics: [topic], controls: { batchSize: 10 } });
    await started;
    await expect
      .poll(() => invocations.flatMap((i) => i.values).length, { timeout: 30_000 })
      .toBe(25);
    expect(invocations.map((i) => i.records.length)).toEqual([10, 10, 5]);
    expect(invocations.flatMap((i) => i.values)).toEqual(range(25));
  });

  it('waits up to the batching window to fill a batch', async () => {
    const topic = await createTopic('window');
    const { invocations, started } = startMapping({
      topics: [topic],
      controls: { batchSize: 100, maximumBatchingWindowInSeconds: 3 },
    });
    await started;
    for (const value of ['a', 'b', 'c']) {
      await produce(topic, [value]);
      await settle(100);
    }
    await expect
      .poll(() => invocations.flatMap((i) => i.values).length, { timeout: 30_000 })
      .toBe(3);
    // Three separate sends, one invocation: the window held the batch open.
    expect(invocations.map((i) => i.values)).toEqual([['a', 'b', 'c']]);
  });

  it('keeps order per partition and never runs two invocations on the same partition', async () => {
    const topic = await createTopic('order', 3);
    for (const partition of [0, 1, 2])
      await produce(topic, range(120, `p${partition}-`), { partition });
    const busy = new Set<string>();
    let overlaps = 0;
    const { invocations, started } = startMapping({
      topics: [topic],
      controls: { batchSize: 7 },
      target: async ({ event }) => {
        const keys = Object.keys(event.records);
        if (keys.some((key) => busy.has(key))) overlaps += 1;
        keys.forEach((key) => busy.add(key));
        await settle(Math.floor(Math.random() * 15));
        keys.forEach((key) => busy.delete(key));
        return null;
      },
    });
    await started;
    await expect
      .poll(() => invocations.flatMap((i) => i.values).length, { timeout: 60_000 })
      .toBe(360);
    expect(overlaps).toBe(0);
    for (const partition of [0, 1, 2]) {
      const seen = invocations.flatMap((i) =>
        i.records.filter((r) => r.partition === partition).map((r) => r.offset),
      );
      expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i));
    }
    expect(Math.max(...invocations.map((i) => i.records.length))).toBeLessThanOrEqual(7);
  });

  it('commits offsets only after success: a restart redelivers failed records, not delivered ones', async () => {
    const topic = await createTopic('commit');
    const groupId = unique('group');
    await produce(topic, range(5));

    // First run: every invocation fails and retries forever; stop mid-way.
    const failing = startMapping({
      topics: [topic],
      groupId,
      controls: { maximumRetryAttempts: -1, bisectBatchOnFunctionError: false },
      target: () => {
        throw new Error('downstream unavailable');
      },
    });
    await failing.started;
    await expect
      .poll(() => failing.invocations.length, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await failing.mapping.stop();
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '-1' });

    // Second run: the same records come again, and now succeed.
    const succeeding = startMapping({ topics: [topic], groupId });
    await succeeding.started;
    await expect
      .poll(() => succeeding.invocations.flatMap((i) => i.values).length, { timeout: 30_000 })
      .toBe(5);
    await expect
      .poll(() => committedOffsets(groupId, topic), { timeout: 10_000 })
      .toEqual({ 0: '5' });
    await succeeding.mapping.stop();

    // Third run: nothing already delivered comes back; only the new record.
    await produce(topic, ['after-restart']);
    const third = startMapping({ topics: [topic], groupId });
    await third.started;
    await expect
      .poll(() => third.invocations.flatMap((i) => i.values).length, { timeout: 30_000 })
      .toBe(1);
    await settle(500);
    expect(third.invocations.flatMap((i) => i.values)).toEqual(['after-restart']);
  });

  it('retries a failing batch MaximumRetryAttempts times, then moves on', async () => {
    const topic = await createTopic('retries');
    const groupId = unique('group');
    await produce(topic, ['poison']);
    const { invocations, activity, started } = startMapping({
      topics: [topic],
      groupId,
      controls: { maximumRetryAttempts: 2, bisectBatchOnFunctionError: false },
      target: () => {
        throw new Error('always fails');
      },
    });
    await started;
    await expect
      .poll(() => activity.some((a) => a.type === 'on-failure'), { timeout: 30_000 })
      .toBe(true);
    expect(invocations).toHaveLength(3);
    await expect
      .poll(() => committedOffsets(groupId, topic), { timeout: 10_000 })
      .toEqual({ 0: '1' });
  });

  it('bisects a failing batch to isolate the bad record', async () => {
    const topic = await createTopic('bisect');
    const dlqTopic = await createTopic('bisect-dlq');
    const groupId = unique('group');
    await produce(topic, ['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'bad', 'ok6', 'ok7']);
    const delivered: string[] = [];
    const { invocations, started } = startMapping({
      topics: [topic],
      groupId,
      controls: {
        batchSize: 8,
        maximumRetryAttempts: 0,
        bisectBatchOnFunctionError: true,
        onFailureTopic: dlqTopic,
      },
      target: ({ values }) => {
        if (values.includes('bad')) throw new Error('bad record in batch');
        delivered.push(...values);
        return null;
      },
    });
    await started;
    await expect
      .poll(() => committedOffsets(groupId, topic), { timeout: 30_000 })
      .toEqual({ 0: '8' });
    expect(invocations.map((i) => i.records.length)).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(delivered).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'ok6', 'ok7']);
    const [dlq] = await readOnFailure(dlqTopic, 1);
    expect(dlq?.key).toBe('key-bad');
    expect(dlq?.record.KafkaBatchInfo.recordInfo).toMatchObject({ offset: '5' });
  });

  it('honours a partial batch response: commits below the failed offset and retries from it', async () => {
    const topic = await createTopic('partial', 2);
    const groupId = unique('group');
    await produce(topic, range(6, 'a'), { partition: 0 });
    await produce(topic, range(3, 'b'), { partition: 1 });
    let calls = 0;
    const { invocations, activity, started } = startMapping({
      topics: [topic],
      groupId,
      controls: { batchSize: 9, maximumBatchingWindowInSeconds: 1 },
      target: () => {
        calls += 1;
        return calls === 1
          ? {
              batchItemFailures: [
                { itemIdentifier: { partition: `${topic}-0`, offset: 4 } },
                { itemIdentifier: { partition: `${topic}-0`, offset: 3 } },
              ],
            }
          : { batchItemFailures: [] };
      },
    });
    await started;
    await expect
      .poll(() => committedOffsets(groupId, topic), { timeout: 30_000 })
      .toEqual({ 0: '6', 1: '3' });
    expect(invocations[0]?.records).toHaveLength(9);
    expect(invocations[1]?.values).toEqual(['a3', 'a4', 'a5']);
    expect(invocations).toHaveLength(2);
    const firstCommit = activity.find((a) => a.type === 'commit');
    expect(firstCommit).toEqual({
      type: 'commit',
      offsets: { [`${topic}-0`]: '3', [`${topic}-1`]: '3' },
    });
  });

  it('treats a malformed batch response as a failed batch', async () => {
    const topic = await createTopic('malformed');
    await produce(topic, ['x']);
    let calls = 0;
    const { invocations, started } = startMapping({
      topics: [topic],
      controls: { maximumRetryAttempts: 1, bisectBatchOnFunctionError: false },
      target: () => {
        calls += 1;
        return calls === 1 ? { batchItemFailures: [{ itemIdentifier: { offset: 'zero' } }] } : null;
      },
    });
    await started;
    await expect.poll(() => invocations.length, { timeout: 30_000 }).toBe(2);
    expect(invocations[1]?.values).toEqual(['x']);
  });

  it('publishes an on-failure record to the destination topic when retries are exhausted', async () => {
    const topic = await createTopic('on-failure');
    const dlqTopic = await createTopic('on-failure-dlq');
    const groupId = unique('group');
    await produce(topic, ['r0', 'r1', 'r2']);
    const { started } = startMapping({
      topics: [topic],
      groupId,
      controls: {
        maximumRetryAttempts: 1,
        bisectBatchOnFunctionError: false,
        onFailureTopic: dlqTopic,
      },
      target: () => {
        throw new Error('cannot stage');
      },
    });
    await started;
    // As AWS writes a Kafka destination: one message per record, with the record's own key.
    const messages = await readOnFailure(dlqTopic, 3);
    expect(messages.map(({ key }) => key)).toEqual(['key-r0', 'key-r1', 'key-r2']);
    for (const [index, { record }] of messages.entries()) {
      expect(record.requestContext).toMatchObject({
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:esm-test',
      });
      expect(record.responseContext).toEqual({
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: 'Unhandled',
      });
      expect(record.KafkaBatchInfo).toMatchObject({
        batchSize: 1,
        recordInfo: { offset: String(index) },
      });
      const replayed = Object.values(record.payload.records)
        .flat()
        .map((r) => Buffer.from(r.value ?? '', 'base64').toString('utf8'));
      expect(replayed).toEqual([`r${index}`]);
    }
    await expect
      .poll(() => committedOffsets(groupId, topic), { timeout: 10_000 })
      .toEqual({ 0: '3' });
  });

  it('sends records older than MaximumRecordAgeInSeconds to the destination without invoking', async () => {
    const topic = await createTopic('age');
    const dlqTopic = await createTopic('age-dlq');
    await produce(topic, ['stale'], { timestamp: Date.now() - 3_600_000 });
    await produce(topic, ['fresh']);
    const { invocations, started } = startMapping({
      topics: [topic],
      controls: { maximumRecordAgeInSeconds: 60, onFailureTopic: dlqTopic },
    });
    await started;
    const [stale] = await readOnFailure(dlqTopic, 1);
    expect(stale?.record.requestContext.condition).toBe('RecordAgeExceeded');
    expect(stale?.record.responseContext).toBeNull();
    await expect
      .poll(() => invocations.flatMap((i) => i.values), { timeout: 30_000 })
      .toEqual(['fresh']);
  });

  it('invokes a worker-hosted function as well as a plain one', async () => {
    const topic = await createTopic('worker');
    await produce(topic, range(4));
    const host = new FunctionHost({
      functionName: 'msk-summary',
      handlerModule: fileURLToPath(
        new URL('./test-fixtures/msk-summary-handler.ts', import.meta.url),
      ),
      env: {},
      timeoutMs: 30_000,
      memoryMb: 256,
      region: 'us-east-1',
    });
    const received: string[] = [];
    const mapping = new KafkaEventSource({
      kafka,
      topics: [topic],
      groupId: unique('group'),
      target: async (event) => {
        const response = (await host.invoke(event)) as { received: string[] };
        received.push(...response.received);
        return response;
      },
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:msk-summary',
      source: {
        eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/test',
        bootstrapServers: localStack().kafkaBrokers,
      },
      controls: { maximumBatchingWindowInSeconds: 0.2, onFailureTopic: null },
    });
    running.push(mapping);
    try {
      await mapping.start();
      await expect.poll(() => received, { timeout: 30_000 }).toEqual(range(4));
    } finally {
      await host.close();
    }
  });
});
