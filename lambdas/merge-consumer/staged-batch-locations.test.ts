import { describe, expect, it } from 'vitest';
import type { JsonObjectReader } from './staged-batch-locations';
import { locateStagedBatch } from './staged-batch-locations';

const stagingKey = 'staging/2026/01/15/b1.json';
const batch = (versions: string[]) => ({
  batchId: 'b1',
  createdAt: '2026-01-15T12:00:00.000Z',
  customers: [],
  products: [],
  offsets: [],
  recordVersions: versions,
});

function reader(objects: Record<string, unknown>): JsonObjectReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readJson: async (key) => {
      reads.push(key);
      return objects[key];
    },
  };
}

describe('locateStagedBatch', () => {
  it('looks in staging/, delivered/, the dlq pointer, then dlq/invalid/, in that order', async () => {
    const nowhere = reader({});
    expect(await locateStagedBatch(nowhere, stagingKey)).toBeUndefined();
    expect(nowhere.reads).toEqual([
      stagingKey,
      'delivered/2026/01/15/b1.json',
      'dlq/by-batch/b1.json',
      'dlq/invalid/staging/2026/01/15/b1.json',
    ]);
  });

  it('follows the dlq pointer to the parked copy', async () => {
    const parkedKey = `dlq/${'e'.repeat(64)}/b1.json`;
    const found = await locateStagedBatch(
      reader({
        'dlq/by-batch/b1.json': { eventId: 'e'.repeat(64), key: parkedKey },
        [parkedKey]: batch(['CUSTOMER#c-1#h']),
      }),
      stagingKey,
    );
    expect(found).toEqual({ key: parkedKey, versions: new Set(['CUSTOMER#c-1#h']) });
  });

  it('finds a parked copy a redrive moved to delivered/ after it looked there', async () => {
    const objects: Record<string, unknown> = {
      'dlq/by-batch/b1.json': { eventId: 'e'.repeat(64), key: `dlq/${'e'.repeat(64)}/b1.json` },
    };
    const racing: JsonObjectReader = {
      readJson: async (key) => {
        const value = objects[key];
        if (key === 'delivered/2026/01/15/b1.json' && value === undefined)
          objects[key] = batch(['v']); // the redrive lands right after this read
        return value;
      },
    };
    expect((await locateStagedBatch(racing, stagingKey))?.key).toBe('delivered/2026/01/15/b1.json');
  });

  it('reads recordVersions of a quarantined object leniently; one that says nothing holds nothing', async () => {
    const invalidKey = 'dlq/invalid/staging/2026/01/15/b1.json';
    const lenient = await locateStagedBatch(
      reader({ [invalidKey]: { recordVersions: ['v1'], customers: 'broken' } }),
      stagingKey,
    );
    expect(lenient).toEqual({ key: invalidKey, versions: new Set(['v1']) });
    const garbage = await locateStagedBatch(reader({ [invalidKey]: null }), stagingKey);
    expect(garbage).toEqual({ key: invalidKey, versions: new Set() });
  });
});
