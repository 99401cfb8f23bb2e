import { describe, expect, it } from 'vitest';
import { describeCrashes } from './crash-report';

describe('describeCrashes', () => {
  it('counts crashes per operation, with what the operation means', () => {
    expect(
      describeCrashes(
        ['S3.PutObject', 'DynamoDB.PutItem', 'DynamoDB.PutItem', 'DynamoDB.DeleteItem'],
        20,
        { 'DynamoDB.PutItem': 'claim PutItem', 'S3.PutObject': 'staging PutObject' },
      ),
    ).toBe(
      '4 crashes (budget 20): 1 after DynamoDB.DeleteItem, 2 after claim PutItem (DynamoDB.PutItem), ' +
        '1 after staging PutObject (S3.PutObject)',
    );
  });

  it('says so when nothing crashed', () => {
    expect(describeCrashes([], 3)).toBe('0 crashes (budget 3)');
    expect(describeCrashes(['Analytics.POST'], 3)).toBe(
      '1 crash (budget 3): 1 after Analytics.POST',
    );
  });
});
