import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MappingActivity } from './kafka-event-source';
import { KafkaEventSource } from './kafka-event-source';

/**
 * The part of a kafkajs consumer the mapping uses, driven by the test: a real broker cannot be
 * made to crash kafkajs with a non-retriable error on demand.
 */
class ScriptedConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  readonly emitter = new EventEmitter();
  readonly calls: string[] = [];
  failConnects = 0;

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

  async run(): Promise<void> {
    this.calls.push('run');
    this.emitter.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: {} } });
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

function mapping(consumer: ScriptedConsumer, activity: MappingActivity[]): KafkaEventSource {
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  return new KafkaEventSource({
    kafka,
    topics: ['customer_data'],
    groupId: 'group',
    target: async () => ({ batchItemFailures: [] }),
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:merge-consumer',
    eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/x',
    bootstrapServers: 'localhost:9092',
    controls: { onFailureTopic: null },
    consumerRestartDelayMs: 100,
    onActivity: (event) => activity.push(event),
  });
}

describe('KafkaEventSource after a kafkajs consumer crash', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejoins by itself when kafkajs will not restart the consumer', async () => {
    vi.useFakeTimers();
    const consumer = new ScriptedConsumer();
    const activity: MappingActivity[] = [];
    const source = mapping(consumer, activity);
    await source.start();
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run']);

    consumer.crash(false);
    expect(activity).toContainEqual(expect.objectContaining({ type: 'consumer-restart' }));
    await vi.advanceTimersByTimeAsync(100);
    expect(consumer.calls.slice(3)).toEqual(['connect', 'run']);
    await source.stop();
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    vi.useFakeTimers();
    const consumer = new ScriptedConsumer();
    const source = mapping(consumer, []);
    await source.start();
    consumer.crash(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run']);
    await source.stop();
  });

  it('keeps trying, with a growing pause, while the broker does not answer', async () => {
    vi.useFakeTimers();
    const consumer = new ScriptedConsumer();
    const activity: MappingActivity[] = [];
    const source = mapping(consumer, activity);
    await source.start();
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
    vi.useFakeTimers();
    const consumer = new ScriptedConsumer();
    const source = mapping(consumer, []);
    await source.start();
    consumer.crash(false);
    await source.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.calls).toEqual(['connect', 'subscribe customer_data', 'run', 'disconnect']);
  });
});
