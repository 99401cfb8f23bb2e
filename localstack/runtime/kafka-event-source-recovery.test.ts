import { EventEmitter } from 'node:events';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KafkaEventTarget, MappingActivity, MappingControls } from './kafka-event-source';
import { KafkaEventSource, defaultMappingControls, effectiveControls } from './kafka-event-source';
import { MAX_INVOCATION_PAYLOAD_BYTES } from './msk-event';

/**
 * The part of a kafkajs consumer the mapping uses, driven by the test: a real broker cannot be
 * made to crash kafkajs with a non-retriable error on demand.
 */
class ScriptedConsumer {
  readonly events = {
    GROUP_JOIN: 'consumer.group_join',
    CRASH: 'consumer.crash',
    FETCH_START: 'consumer.fetch_start',
  } as const;
  readonly emitter = new EventEmitter();
  readonly calls: string[] = [];
  readonly commits: { topic: string; partition: number; offset: string }[][] = [];
  failConnects = 0;
  /** Resumes that throw, as kafkajs does while it has no consumer group. */
  failResumes = 0;
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;

  on(event: string, listener: (event: unknown) => void): void {
    this.emitter.on(event, listener);
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
    if (this.failConnects > 0) {
      this.failConnects -= 1;
      throw new Error('broker not answering');
    }
  }

  async subscribe({ topics }: { topics: string[] }): Promise<void> {
    this.calls.push(`subscribe ${topics.join(',')}`);
  }

  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.calls.push('run');
    this.eachBatch = config.eachBatch;
    this.join();
  }

  join(): void {
    this.emitter.emit(this.events.GROUP_JOIN, {
      payload: { memberAssignment: { customer_data: [0] } },
    });
  }

  fetchStart(): void {
    this.emitter.emit(this.events.FETCH_START, { payload: { nodeId: 1 } });
  }

  /** kafkajs' commitOffsets answers like this whether or not its runner was running. */
  async commitOffsets(offsets: { topic: string; partition: number; offset: string }[]) {
    this.commits.push(offsets);
  }

  pause(): void {
    this.calls.push('pause');
  }

  resume(): void {
    if (this.failResumes > 0) {
      this.failResumes -= 1;
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    }
    this.calls.push('resume');
  }

  /** Hands the mapping `count` messages of customer_data-0, as a kafkajs fetch would. */
  async deliver(fromOffset: number, count: number, value = Buffer.from('{}')): Promise<void> {
    const messages = Array.from({ length: count }, (_, index) => ({
      offset: String(fromOffset + index),
      key: Buffer.from(`c-${fromOffset + index}`),
      value,
      timestamp: '1767225600000',
      headers: {},
      attributes: 0,
      size: 0,
    }));
    await this.eachBatch?.({
      batch: { topic: 'customer_data', partition: 0, messages },
      resolveOffset: () => undefined,
      isStale: () => false,
      isRunning: () => true,
    } as unknown as EachBatchPayload);
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }

  /** What kafkajs emits after it disconnected on a crash it decided not to restart from. */
  crash(restart: boolean): void {
    this.emitter.emit(this.events.CRASH, {
      payload: { error: new Error('KafkaJSProtocolError: unexpected'), restart },
    });
  }
}

function mapping(
  consumer: ScriptedConsumer,
  activity: MappingActivity[],
  controls: Partial<MappingControls> = {},
  target: KafkaEventTarget = async () => ({ batchItemFailures: [] }),
): KafkaEventSource {
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  return new KafkaEventSource({
    kafka,
    topics: ['customer_data'],
    groupId: 'group',
    target,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:merge-consumer',
    source: {
      eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/x',
      bootstrapServers: 'localhost:9092',
    },
    controls: { onFailureTopic: null, maximumBatchingWindowInSeconds: 0, ...controls },
    consumerRestartDelayMs: 100,
    onActivity: (event) => activity.push(event),
  });
}

describe('KafkaEventSource after a kafkajs consumer rejoin', () => {
  it('commits its offsets again once the consumer runs, as kafkajs may have dropped them', async () => {
    const consumer = new ScriptedConsumer();
    const source = mapping(consumer, []);
    await source.start();
    await consumer.deliver(0, 5);
    await vi.waitFor(() => expect(source.idle).toBe(true));
    expect(consumer.commits).toEqual([[{ topic: 'customer_data', partition: 0, offset: '5' }]]);

    consumer.join(); // kafkajs restarted its runner (broker SIGKILL): the commit may be lost
    expect(consumer.commits).toHaveLength(1); // not yet: the runner is not running at GROUP_JOIN
    consumer.fetchStart();
    await vi.waitFor(() => expect(consumer.commits).toHaveLength(2));
    expect(consumer.commits[1]).toEqual([{ topic: 'customer_data', partition: 0, offset: '5' }]);

    consumer.fetchStart(); // once per join
    await Promise.resolve();
    expect(consumer.commits).toHaveLength(2);
    await source.stop();
  });

  it('resumes a drained partition whose resume kafkajs refused while restarting', async () => {
    const consumer = new ScriptedConsumer();
    // 1,000 is the buffer high-water mark at this batch size: the partition pauses.
    const source = mapping(consumer, [], { batchSize: 10 });
    consumer.failResumes = Number.POSITIVE_INFINITY; // kafkajs restarting for the whole drain
    await source.start();
    await consumer.deliver(0, 1_001);
    expect(consumer.calls).toContain('pause');
    await vi.waitFor(() => expect(source.idle).toBe(true));
    expect(consumer.calls).not.toContain('resume');

    consumer.failResumes = 0; // running again
    consumer.fetchStart();
    expect(consumer.calls).toContain('resume');
    await source.stop();
  });
});

describe('KafkaEventSource after a kafkajs consumer crash', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A started mapping over a scripted consumer, and the activity it reports. */
  async function startedMapping(): Promise<{
    consumer: ScriptedConsumer;
    activity: MappingActivity[];
    source: KafkaEventSource;
  }> {
    const consumer = new ScriptedConsumer();
    const activity: MappingActivity[] = [];
    const source = mapping(consumer, activity);
    await source.start();
    return { consumer, activity, source };
  }

  it('rejoins by itself when kafkajs will not restart the consumer', async () => {
    const { consumer, activity, source } = await startedMapping();
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run']);

    consumer.crash(false);
    expect(activity).toContainEqual(expect.objectContaining({ type: 'consumer-restart' }));
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.calls.slice(3)).toEqual(['connect', 'run']);
    await source.stop();
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const { consumer, source } = await startedMapping();
    consumer.crash(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run']);
    await source.stop();
  });

  it('keeps trying, with a growing pause, while the broker does not answer', async () => {
    const { consumer, activity, source } = await startedMapping();
    consumer.failConnects = 2;
    consumer.crash(false);
    await vi.advanceTimersByTimeAsync(100); // attempt 1 after 100 ms: refused
    await vi.advanceTimersByTimeAsync(200); // attempt 2 after 200 ms: refused
    expect(consumer.calls.slice(3)).toEqual(['connect', 'connect']);
    await vi.advanceTimersByTimeAsync(299);
    expect(consumer.calls.slice(3)).toEqual(['connect', 'connect']);
    await vi.advanceTimersByTimeAsync(1); // attempt 3 after 300 ms: joined
    expect(consumer.calls.slice(3)).toEqual(['connect', 'connect', 'connect', 'run']);
    expect(activity.filter((event) => event.type === 'consumer-restart')).toHaveLength(3);
    await source.stop();
  });

  it('does not restart a mapping that was stopped', async () => {
    const { consumer, source } = await startedMapping();
    consumer.crash(false);
    await source.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run', 'disconnect']);
  });
});

describe('KafkaEventSource limits AWS applies', () => {
  // The scripted records are from 2026-01-01: not old enough to matter here.
  const ageless = { maximumRecordAgeInSeconds: -1 };

  it('keeps every invocation payload within 6 MB: a batch of large records shrinks', async () => {
    const consumer = new ScriptedConsumer();
    const sizes: number[] = [];
    const records: number[] = [];
    const source = mapping(consumer, [], { batchSize: 500, ...ageless }, async (event) => {
      sizes.push(Buffer.byteLength(JSON.stringify(event)));
      records.push(Object.values(event.records).flat().length);
      return null;
    });
    await source.start();
    // 20 records of 1 MiB (1.33 MiB as base64): 500 fit the batch size, 4 fit the payload.
    await consumer.deliver(0, 20, Buffer.alloc(1024 * 1024, 'x'));
    await vi.waitFor(() => expect(source.idle).toBe(true));
    expect(records.reduce((sum, n) => sum + n, 0)).toBe(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
    expect(records[0]).toBe(4);
    await source.stop();
  });

  it('gives up a record that alone is over 6 MB as MaximumPayloadSizeExceeded, uninvoked', async () => {
    const consumer = new ScriptedConsumer();
    const activity: MappingActivity[] = [];
    let invocations = 0;
    const source = mapping(consumer, activity, ageless, async () => {
      invocations += 1;
      return null;
    });
    await source.start();
    await consumer.deliver(0, 1, Buffer.alloc(5 * 1024 * 1024, 'x')); // 6.7 MiB as base64
    await vi.waitFor(() => expect(source.idle).toBe(true));
    expect(invocations).toBe(0);
    expect(activity).toContainEqual(
      expect.objectContaining({ type: 'on-failure', condition: 'MaximumPayloadSizeExceeded' }),
    );
    expect(consumer.commits.at(-1)).toEqual([
      { topic: 'customer_data', partition: 0, offset: '1' },
    ]);
    await source.stop();
  });

  it('reports a failed on-failure write as a delivery error and retries the records', async () => {
    const consumer = new ScriptedConsumer();
    const activity: MappingActivity[] = [];
    const sends: string[] = [];
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async ({ topic }: { topic: string }) => {
        sends.push(topic);
        if (sends.length === 1) throw new Error('NOT_ENOUGH_REPLICAS');
        return [];
      },
    };
    const kafka = { consumer: () => consumer, producer: () => producer } as unknown as Kafka;
    const source = new KafkaEventSource({
      kafka,
      topics: ['customer_data'],
      groupId: 'group',
      target: async () => null,
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:merge-consumer',
      source: {
        eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/x',
        bootstrapServers: 'localhost:9092',
      },
      controls: { ...ageless, onFailureTopic: 'analytics_dlq', maximumBatchingWindowInSeconds: 0 },
      retryBackoffMs: 10,
      onActivity: (event) => activity.push(event),
    });
    await source.start();
    await consumer.deliver(0, 1, Buffer.alloc(5 * 1024 * 1024, 'x'));
    await vi.waitFor(() => expect(sends).toEqual(['analytics_dlq', 'analytics_dlq']));
    expect(activity).toContainEqual({
      type: 'delivery-error',
      records: 1,
      message: 'NOT_ENOUGH_REPLICAS',
    });
    await vi.waitFor(() =>
      expect(consumer.commits.at(-1)).toEqual([
        { topic: 'customer_data', partition: 0, offset: '1' },
      ]),
    );
    await source.stop();
  });

  it('caps MaximumRetryAttempts -1 at 10 retries when an on-failure destination is set', () => {
    const controls: MappingControls = { ...defaultMappingControls, maximumRetryAttempts: -1 };
    expect(effectiveControls({ ...controls, onFailureTopic: 'analytics_dlq' })).toMatchObject({
      maximumRetryAttempts: 10,
    });
    expect(effectiveControls({ ...controls, onFailureTopic: null })).toMatchObject({
      maximumRetryAttempts: -1,
    });
    expect(effectiveControls({ ...controls, maximumRetryAttempts: 3 })).toMatchObject({
      maximumRetryAttempts: 3,
    });
  });
});
