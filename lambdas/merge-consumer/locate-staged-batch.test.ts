import { describe, expect, it } from 'vitest';
import { locateStagedBatch } from './group-commit';

const stagingKey = 'staging/2026/01/15/b1.json';
const batch = (versions: string[]) => ({
  batchId: 'b1',
  createdAt: '2026-01-15T12:00:00.000Z',
  customers: [],
  products: [],
  offsets: [],
  recordVersions: versions,
});

function reader(objects: Record<string, unknown>) {
  const reads: string[] = [];
  return {
    reads,
    get: async (key: string) => {
      reads.push(key);
      const value = objects[key];
      return typeof value === 'string' || value === undefined ? value : JSON.stringify(value);
    },
  };
}

describe('locateStagedBatch', () => {
  it('looks in staging/, dlq/, then delivered/: the order flush moves an object in', async () => {
    const nowhere = reader({});
    expect(await locateStagedBatch(nowhere, stagingKey)).toBeUndefined();
    expect(nowhere.reads).toEqual([
      stagingKey,
      'dlq/2026/01/15/b1.json',
      'delivered/2026/01/15/b1.json',
    ]);
  });

  it('finds a parked copy', async () => {
    const parkedKey = 'dlq/2026/01/15/b1.json';
    const found = await locateStagedBatch(
      reader({ [parkedKey]: batch(['CUSTOMER#c-1#h']) }),
      stagingKey,
    );
    expect(found).toEqual({ key: parkedKey, versions: new Set(['CUSTOMER#c-1#h']) });
  });

  it('finds a batch flush moves from staging/ to dlq/ and on to delivered/ while it looks', async () => {
    const objects: Record<string, string> = {};
    const racing = {
      get: async (key: string) => {
        const value = objects[key];
        // Right after the look at staging/, the object goes on to dlq/ and from there to
        // delivered/ (each move a copy, then a delete): only its delivered/ copy is left.
        if (key === stagingKey)
          objects['delivered/2026/01/15/b1.json'] = JSON.stringify(batch(['v']));
        return value;
      },
    };
    expect((await locateStagedBatch(racing, stagingKey))?.key).toBe('delivered/2026/01/15/b1.json');
  });

  it('reads recordVersions of a quarantined object leniently; one that says nothing holds nothing', async () => {
    const invalidKey = 'dlq/2026/01/15/b1.json';
    const lenient = await locateStagedBatch(
      reader({ [invalidKey]: { recordVersions: ['v1'], customers: 'broken' } }),
      stagingKey,
    );
    expect(lenient).toEqual({ key: invalidKey, versions: new Set(['v1']) });
    const garbage = await locateStagedBatch(reader({ [invalidKey]: '{not json' }), stagingKey);
    expect(garbage).toEqual({ key: invalidKey, versions: new Set() });
  });
});
