import { EventEmitter } from 'node:events';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MappingActivity } from './kafka-event-source';
import { KafkaEventSource } from './kafka-event-source';

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

  async subscribe({ topic }: { topic: string }): Promise<void> {
    this.calls.push(`subscribe ${topic}`);
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
  async deliver(fromOffset: number, count: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, index) => ({
      offset: String(fromOffset + index),
      key: Buffer.from(`c-${fromOffset + index}`),
      value: Buffer.from('{}'),
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
  controls: { batchSize?: number } = {},
): KafkaEventSource {
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  return new KafkaEventSource({
    kafka,
    topics: ['customer_data'],
    groupId: 'group',
    target: async () => ({ batchItemFailures: [] }),
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:merge-consumer',
    eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/x',
    bootstrapServers: 'localhost:9092',
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
