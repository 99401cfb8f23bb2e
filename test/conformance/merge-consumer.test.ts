import { describe, expect, it } from 'vitest';
import type { DlqEntry } from '../../lambdas/shared/dlq';
import { processMskEvent } from '../../lambdas/merge-consumer/process-event';
import { mergeConsumerHarness } from '../../lambdas/merge-consumer/test-support/harness';
import { customer, customerEnvelope } from '../../lambdas/merge-consumer/test-support/msk-event';
import { tombstoneMessage } from '../../lambdas/shared/envelope';
import type { CorpusEventFile, CorpusRecord } from './kafka-corpus';
import { itEachCorpusEvent, kafkaBatchResponseCases } from './kafka-corpus';

const hasValue = (record: CorpusRecord): boolean =>
  record.value !== undefined && record.value !== null;
const hasKey = (record: CorpusRecord): boolean => record.key !== undefined && record.key !== null;
const at = (record: Pick<CorpusRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${record.topic}-${record.partition}@${record.offset}`;
const originOf = ({ origin }: DlqEntry): string =>
  `${origin.topic}-${origin.partition}@${origin.offset}`;

const deletedAt = '2026-01-15T09:30:00.000Z';

/** Our tombstone headers (`tombstoneMessage`) as AWS writes header values: Java's signed bytes. */
const deleteHeaders = (id: string) =>
  Object.entries(
    tombstoneMessage({
      eventType: 'CUSTOMER',
      deleted: { id, deletedAt },
      source: 'crm',
      syncType: 'FULL',
    }).headers,
  ).map(([name, value]) => ({ [name]: [...new Int8Array(Buffer.from(value))] }));

/**
 * The corpus event with our envelopes as values (our delete headers on a tombstone) and their ids
 * as keys, every other field (timestampType, schema metadata, absent or null key/value) as AWS
 * wrote it.
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
            : { headers: deleteHeaders(id) }),
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
          expect(entry.reason).toMatch(
            hasKey(record)
              ? /^tombstone without valid delete headers: /
              : /^tombstone without a Kafka key/,
          );
      }
    },
  );

  itEachCorpusEvent(
    'with our payloads: keyed records are staged (tombstones as deletes), keyless ones go to the DLQ with their reason',
    async (file) => {
      const { deps, dlqEntries, staging } = mergeConsumerHarness();
      await expect(processMskEvent(withOurPayloads(file), deps)).resolves.toEqual({
        batchItemFailures: [],
      });
      const batches = [...staging.objects.values()];
      const idOf = (record: CorpusRecord) =>
        `c-${record.topic}-${record.partition}-${record.offset}`;
      // The corpus repeats an offset in one file (Powertools' kafkaEventMsk.json): positions, not
      // ids, are what must all be accounted for.
      const keyed = file.records.filter(hasKey);
      expect(new Set(batches.flatMap((batch) => batch.customers.map((item) => item.id)))).toEqual(
        new Set(keyed.filter(hasValue).map(idOf)),
      );
      expect(batches.flatMap((batch) => batch.deletedCustomers ?? [])).toEqual(
        keyed
          .filter((record) => !hasValue(record))
          .map((record) => ({ id: idOf(record), deletedAt })),
      );
      const reasonFor = (record: CorpusRecord): string =>
        hasValue(record)
          ? 'Kafka key missing (must be payload.id)'
          : 'tombstone without a Kafka key (must be the id)';
      expect(dlqEntries.map((entry) => [originOf(entry), entry.reason])).toEqual(
        file.records
          .filter((record) => !hasKey(record))
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
