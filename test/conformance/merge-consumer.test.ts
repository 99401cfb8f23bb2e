import { describe, expect, it } from 'vitest';
import type { DlqEntry } from '../../lambdas/shared/dlq';
import { processMskEvent } from '../../lambdas/merge-consumer/process-event';
import { mergeConsumerHarness } from '../../lambdas/merge-consumer/test-support/harness';
import { customer, customerEnvelope } from '../../lambdas/merge-consumer/test-support/msk-event';
import type { CorpusEventFile, CorpusRecord } from './kafka-corpus';
import { itEachCorpusEvent, kafkaBatchResponseCases } from './kafka-corpus';

const hasValue = (record: CorpusRecord): boolean =>
  record.value !== undefined && record.value !== null;
const hasKey = (record: CorpusRecord): boolean => record.key !== undefined && record.key !== null;
const at = (record: Pick<CorpusRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${record.topic}-${record.partition}@${record.offset}`;
const originOf = ({ origin }: DlqEntry): string =>
  `${origin.topic}-${origin.partition}@${origin.offset}`;

/**
 * The corpus event with our envelopes as values and their ids as keys, every other field (headers
 * with signed bytes, timestampType, schema metadata, absent or null key/value) as AWS wrote it.
 */
function withOurPayloads({ event }: CorpusEventFile): unknown {
  const records = Object.fromEntries(
    Object.entries(event.records).map(([topicPartition, records]) => [
      topicPartition,
      records.map((record) => {
        const id = `c-${record.topic}-${record.partition}-${record.offset}`;
        return {
          ...record,
          ...(hasKey(record) ? { key: Buffer.from(id).toString('base64') } : {}),
          ...(hasValue(record)
            ? {
                value: Buffer.from(JSON.stringify(customerEnvelope(customer(id)))).toString(
                  'base64',
                ),
              }
            : {}),
        };
      }),
    ]),
  );
  return { ...event, records };
}

describe('merge-consumer against every AWS Kafka event of the corpus', () => {
  itEachCorpusEvent(
    'as AWS wrote it: no invocation error, every record dead-lettered with its reason',
    async (file) => {
      const { deps, dlqEntries } = mergeConsumerHarness();
      // The AWS samples carry no pipeline envelope: each record is poison for the DLQ, and only
      // the DLQ, never an invocation failure that would hold up every partition of the batch.
      await expect(processMskEvent(file.event, deps)).resolves.toEqual({ batchItemFailures: [] });
      expect(dlqEntries.map(originOf).sort()).toEqual(file.records.map(at).sort());
      for (const entry of dlqEntries) {
        const record = file.records.find((candidate) => at(candidate) === originOf(entry));
        // A signed header byte or a null key must never make the record "malformed".
        expect(entry.reason).not.toMatch(/^malformed Kafka record/);
        if (record && !hasValue(record))
          expect(entry.reason).toBe('tombstone: the record has no value');
      }
    },
  );

  itEachCorpusEvent(
    'with our payloads: keyed records are staged, tombstones and keyless records go to the DLQ with their reason',
    async (file) => {
      const { deps, dlqEntries, staging } = mergeConsumerHarness();
      await expect(processMskEvent(withOurPayloads(file), deps)).resolves.toEqual({
        batchItemFailures: [],
      });
      const staged = [...staging.objects.values()].flatMap((batch) =>
        batch.customers.map((item) => item.id),
      );
      // The corpus repeats an offset in one file (Powertools' kafkaEventMsk.json): positions, not
      // ids, are what must all be accounted for.
      const expectedStaged = file.records.filter((record) => hasValue(record) && hasKey(record));
      expect(new Set(staged)).toEqual(
        new Set(
          expectedStaged.map((record) => `c-${record.topic}-${record.partition}-${record.offset}`),
        ),
      );
      const reasonFor = (record: CorpusRecord): string =>
        hasValue(record)
          ? 'Kafka key missing (must be payload.id)'
          : 'tombstone: the record has no value';
      expect(dlqEntries.map((entry) => [originOf(entry), entry.reason])).toEqual(
        file.records
          .filter((record) => !(hasValue(record) && hasKey(record)))
          .map((record) => [at(record), reasonFor(record)]),
      );
    },
  );

  it('reports a record it could not settle with the item identifier AWS documents', async () => {
    const { event, cases } = kafkaBatchResponseCases();
    const documented = cases.find((c) => c.source === 'powertools-python-batch');
    // Offset 1 of the corpus event is poison, and the DLQ is down: the record must be re-delivered.
    const { deps } = mergeConsumerHarness(async () => {
      throw new Error('broker down');
    });
    const records = event.records['mytopic-0'] ?? [];
    const withPoisonAtOne = {
      ...event,
      records: {
        'mytopic-0': records.map((record) =>
          record.offset === 0
            ? {
                ...record,
                key: Buffer.from('c-0').toString('base64'),
                value: Buffer.from(JSON.stringify(customerEnvelope(customer('c-0')))).toString(
                  'base64',
                ),
              }
            : record,
        ),
      },
    };
    expect(await processMskEvent(withPoisonAtOne, deps)).toEqual(documented?.response);
  });
});
