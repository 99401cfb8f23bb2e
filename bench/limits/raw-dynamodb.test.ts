import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../lambdas/shared/pipeline';
import { inProgressClaimItem } from './raw-dynamodb';

describe('inProgressClaimItem', () => {
  const now = new Date('2026-01-15T10:00:00.000Z');

  it('looks like merge-consumer INPROGRESS claim: hashed key, expiries, status, staging key', () => {
    const item = inProgressClaimItem('c16#7', now);
    expect(item.id?.S).toMatch(/^merge-consumer#[A-Za-z0-9+/]{22}==$/);
    expect(item.status?.S).toBe(IdempotencyRecordStatus.INPROGRESS);
    expect(Number(item.expiration?.N)).toBe(
      now.getTime() / 1000 + pipeline.mergeConsumer.idempotencyTtlSeconds,
    );
    expect(Number(item.in_progress_expiration?.N)).toBe(
      now.getTime() + pipeline.mergeConsumer.timeoutSeconds * 1000,
    );
    expect(item.stagingKey?.S).toMatch(/^staging\/2026\/01\/15\/[0-9a-f]{32}\.json$/);
  });

  it('gives every seed its own key, the same seed the same key', () => {
    expect(inProgressClaimItem('c16#7', now).id).toEqual(inProgressClaimItem('c16#7', now).id);
    expect(inProgressClaimItem('c16#7', now).id).not.toEqual(inProgressClaimItem('c48#7', now).id);
  });
});
