import { describe, expect, expectTypeOf, it } from 'vitest';
import type { KafkaBatchResponse } from './process-event';
import { buildBatchResponse } from './process-event';
import { kafkaBatchResponseCases } from '../../test/conformance/kafka-corpus';

describe('buildBatchResponse', () => {
  it('reports one failure per partition, at its lowest failed offset', () => {
    const response = buildBatchResponse([
      { topic: 'customer_data', partition: 0, offset: 17 },
      { topic: 'customer_data', partition: 0, offset: 15 },
      { topic: 'customer_data', partition: 0, offset: 16 },
      { topic: 'inventory_data', partition: 2, offset: 4 },
      { topic: 'customer_data', partition: 1, offset: 9 },
    ]);
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: 'customer_data-0', offset: 15 } },
        { itemIdentifier: { partition: 'customer_data-1', offset: 9 } },
        { itemIdentifier: { partition: 'inventory_data-2', offset: 4 } },
      ],
    });
  });

  it('reports nothing when nothing failed', () => {
    expect(buildBatchResponse([])).toEqual({ batchItemFailures: [] });
  });

  it('has the Kafka event source mapping response type', () => {
    expectTypeOf(buildBatchResponse([])).toEqualTypeOf<KafkaBatchResponse>();
    expectTypeOf<
      KafkaBatchResponse['batchItemFailures'][number]['itemIdentifier']
    >().toEqualTypeOf<{
      partition: string;
      offset: number;
    }>();
  });
});

describe('buildBatchResponse against AWS', () => {
  it('names a failure the way Lambda reads it: { partition: "<topic>-<partition>", offset }', () => {
    // The response Powertools for AWS Lambda (Python) expects for the corpus event's failed offset 1.
    const documented = kafkaBatchResponseCases().cases.find(
      (c) => c.source === 'powertools-python-batch',
    );
    expect(buildBatchResponse([{ topic: 'mytopic', partition: 0, offset: 1 }])).toEqual(
      documented?.response,
    );
  });
});
