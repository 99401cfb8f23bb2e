import type { ConsumerConfig, RequestEvent } from 'kafkajs';
import { Kafka } from 'kafkajs';
import type { RequestTally } from './request-tally';

export interface KafkaCounterOptions {
  /** Where producers' requests go; undefined: producers are not counted. */
  producers?: RequestTally;
  /**
   * Where a consumer's requests go, by its group id; undefined: not counted. The bench's main
   * thread hosts the event source mapping's consumer next to the bench's own readers, which are
   * not pipeline cost.
   */
  consumers: (groupId: string) => RequestTally | undefined;
}

interface Registration {
  producers: RequestTally | undefined;
  consumers: KafkaCounterOptions['consumers'];
}
const registrations = new Set<Registration>();
let patched = false;

/**
 * Counts every Kafka protocol request (`kafka.Produce`, `kafka.Fetch`, `kafka.OffsetCommit`,
 * `kafka.Metadata`, …) that producers and consumers built in this thread send, from kafkajs's own
 * instrumentation event `REQUEST` (one per request on the wire, retries included). kafkajs builds
 * producers and consumers in factory methods, so wrapping the factories on the prototype reaches
 * every client whoever constructs it. Admin clients are not wrapped: only the bench uses them.
 * Returns the uninstall; the prototype patch stays (it counts nothing without registrations).
 */
export function installKafkaRequestCounter(options: KafkaCounterOptions): () => void {
  const registration: Registration = { producers: options.producers, consumers: options.consumers };
  registrations.add(registration);
  patchFactoriesOnce();
  return () => registrations.delete(registration);
}

/** A producer or consumer: both emit kafkajs's `REQUEST` instrumentation event. */
export interface KafkaClient {
  readonly events: { readonly REQUEST: string };
  on(eventName: string, listener: (event: RequestEvent) => void): unknown;
}

/**
 * Counts (and times, with the event's `duration`: sent to answered) every request one producer or
 * consumer sends, into `tally`: what the factory patch adds to each client, for code that must
 * count its own client only (the per-record baseline).
 */
export function countKafkaRequests(client: KafkaClient, tally: RequestTally): void {
  const listener = ({ payload }: RequestEvent): void => {
    const key = `kafka.${payload.apiName}`;
    tally.add(key);
    tally.addLatency(key, payload.duration);
  };
  client.on(client.events.REQUEST, listener);
}

function patchFactoriesOnce(): void {
  if (patched) return;
  patched = true;
  const countInto = (client: KafkaClient, tallies: RequestTally[]): void => {
    for (const tally of tallies) countKafkaRequests(client, tally);
  };

  const originalProducer = Kafka.prototype.producer;
  Kafka.prototype.producer = function (this: Kafka, ...args: Parameters<Kafka['producer']>) {
    const producer = originalProducer.apply(this, args);
    countInto(
      producer,
      [...registrations].flatMap((r) => (r.producers ? [r.producers] : [])),
    );
    return producer;
  };

  const originalConsumer = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function (this: Kafka, config: ConsumerConfig) {
    const consumer = originalConsumer.call(this, config);
    countInto(
      consumer,
      [...registrations].flatMap((r) => {
        const tally = r.consumers(config.groupId);
        return tally ? [tally] : [];
      }),
    );
    return consumer;
  };
}
