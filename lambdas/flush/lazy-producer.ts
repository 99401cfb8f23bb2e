import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/**
 * A producer that connects on its first send. flush rarely publishes (only on failures), so a
 * cold start should not wait for, or fail on, a Kafka connection it may never use.
 */
export function lazyConnectedProducer(producer: Producer): Pick<Producer, 'send'> {
  let connecting: Promise<void> | undefined;
  return {
    async send(record: ProducerRecord): Promise<RecordMetadata[]> {
      connecting ??= producer.connect().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
      await connecting;
      return producer.send(record);
    },
  };
}
