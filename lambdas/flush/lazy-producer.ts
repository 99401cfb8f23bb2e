import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { lazyConnect } from '../shared/kafka';

/**
 * A producer that connects on its first send. flush rarely publishes (only on failures), so a
 * cold start should not wait for, or fail on, a Kafka connection it may never use.
 */
export function lazyConnectedProducer(producer: Producer): Pick<Producer, 'send'> {
  const connectOnce = lazyConnect(producer);
  return {
    async send(record: ProducerRecord): Promise<RecordMetadata[]> {
      await connectOnce();
      return producer.send(record);
    },
  };
}
