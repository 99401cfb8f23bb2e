import { describe, expect, expectTypeOf, it } from 'vitest';
import type { KafkaBatchResponse } from './batch-item-failures';
import { buildBatchResponse } from './batch-item-failures';

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
        { itemIdentifier: { 'topic-partition': 'customer_data-0', offset: 15 } },
        { itemIdentifier: { 'topic-partition': 'customer_data-1', offset: 9 } },
        { itemIdentifier: { 'topic-partition': 'inventory_data-2', offset: 4 } },
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
      'topic-partition': string;
      offset: number;
    }>();
  });
});
