import { beforeAll, describe, expect, it } from 'vitest';
import type { CliRun, OperatorHarness } from './operator-harness';
import { startOperatorHarness } from './operator-harness';

/**
 * The operator commands (`npm run resync | dlq | invoke`) as an operator types them, against a
 * pipeline running on the local stack; they reach it through the dashboard's control API.
 */

const CUSTOMERS = 400;
const PRODUCTS = 200;

let harness: OperatorHarness;

beforeAll(async () => {
  harness = await startOperatorHarness({
    customers: CUSTOMERS,
    products: PRODUCTS,
    seed: 909,
    // Give up on Analytics quickly, so a failing Analytics parks batches within seconds.
    extraEnv: {
      flush: { FLUSH_MAX_ATTEMPTS: '2', FLUSH_BASE_DELAY_MS: '100', FLUSH_MAX_DELAY_MS: '200' },
    },
  });
  return () => harness.close();
});

const npmRun = (script: 'resync' | 'dlq' | 'invoke', args: string[]) =>
  harness.npmRun(script, args);

/** flush answers `busy` while a scheduled flush holds the lease; an operator would just retry. */
async function untilNotBusy(run: () => Promise<CliRun>): Promise<CliRun> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const result = await run();
    const answer = result.json as { result?: { status?: string } } | undefined;
    if (answer?.result?.status !== 'busy') return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('flush stayed busy');
}

const parkedIds = async (): Promise<string[]> => {
  const answer = (await harness.runtime.invoke('flush', { action: 'list-dlq' })) as {
    parked: { eventId: string }[];
  };
  return answer.parked.map((entry) => entry.eventId);
};

describe('operator commands against the local stack', () => {
  it(
    'resync, dlq list/show/redrive and invoke do what the runbook says',
    { timeout: 600_000 },
    async () => {
      const first = await harness.waitUntilSettled(
        (p) => p.stats.uniqueRecords >= CUSTOMERS + PRODUCTS,
        180_000,
      );
      expect(first.stats.uniqueRecords).toBe(CUSTOMERS + PRODUCTS);

      // resync --source crm --full: every customer re-published, none delivered twice.
      const full = await npmRun('resync', ['--source', 'crm', '--full']);
      expect(full.stderr).not.toMatch(/Error/);
      expect(full.code).toBe(0);
      expect(full.json).toMatchObject({
        target: 'local',
        results: { crm: { status: 'complete', syncType: 'RESYNC', published: CUSTOMERS } },
      });
      const afterFull = await harness.waitUntilSettled(() => true, 120_000);
      expect(afterFull.stats).toEqual(first.stats);

      // resync --source inventory --since <ISO>: only what changed since then.
      const since = new Date(Date.now() - 1).toISOString();
      const changed = (await harness.mockAdmin('/admin/mutate', 'POST', {
        entity: 'products',
        count: 5,
      })) as { ids: string[] };
      const incremental = await npmRun('resync', ['--source', 'inventory', '--since', since]);
      expect(incremental.code).toBe(0);
      expect(incremental.json).toMatchObject({
        results: {
          inventory: { status: 'complete', syncType: 'RESYNC', published: changed.ids.length },
        },
      });
      const afterSince = await harness.waitUntilSettled(
        (p) => p.stats.uniqueVersions >= first.stats.uniqueVersions + changed.ids.length,
        120_000,
      );
      expect(afterSince.stats.uniqueVersions).toBe(first.stats.uniqueVersions + changed.ids.length);
      expect(afterSince.stats.duplicateRecords).toBe(0);

      // A bad request is refused with a usage message, and nothing runs.
      const bad = await npmRun('resync', ['--source', 'crm']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('usage: resync');

      // Analytics down: flush gives up and parks the payload in dlq/, with a DLQ message.
      await harness.mockAdmin('/admin/faults', 'PUT', { analytics: { errorRate: 1 } });
      await harness.mockAdmin('/admin/mutate', 'POST', { entity: 'customers', count: 3 });
      const deadline = Date.now() + 120_000;
      while ((await parkedIds()).length === 0) {
        if (Date.now() > deadline) throw new Error('nothing was parked');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await expect.poll(async () => harness.dlqMessages()).toBeGreaterThan(0);

      const list = await npmRun('dlq', ['list']);
      expect(list.code).toBe(0);
      const parked = (list.json as { parked: { eventId: string; attempts: number }[] }).parked;
      expect(parked.length).toBeGreaterThan(0);
      const [firstParked] = parked;
      if (!firstParked) throw new Error('no parked payload listed');
      expect(firstParked.attempts).toBe(2);

      const show = await npmRun('dlq', ['show', firstParked.eventId.slice(0, 12)]);
      expect(show.code).toBe(0);
      expect(show.json).toMatchObject({ eventId: firstParked.eventId, attempts: 2 });
      expect((show.json as { reason: string }).reason).not.toBe('');
      const missing = await npmRun('dlq', ['show', 'ffffffffffff0000']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no parked payload');

      // Analytics back: redrive one by id, then the rest; dlq/ ends empty, nothing duplicated.
      await harness.mockAdmin('/admin/faults', 'DELETE');
      const one = await untilNotBusy(() => npmRun('dlq', ['redrive', '--id', firstParked.eventId]));
      expect(one.code).toBe(0);
      expect(one.json).toMatchObject({
        result: { status: 'ok', redriven: [{ eventId: firstParked.eventId }], failed: [] },
      });
      const rest = await untilNotBusy(() => npmRun('dlq', ['redrive']));
      expect(rest.code).toBe(0);
      expect(rest.json).toMatchObject({ result: { status: 'ok', failed: [] } });
      expect(await parkedIds()).toEqual([]);
      const redriven = await harness.waitUntilSettled(
        (p) => p.stats.uniqueVersions >= afterSince.stats.uniqueVersions + 3,
        120_000,
      );
      expect(redriven.stats.uniqueVersions).toBe(afterSince.stats.uniqueVersions + 3);
      expect(redriven.stats.uniqueRecords).toBe(CUSTOMERS + PRODUCTS);
      expect(redriven.stats.duplicateRecords).toBe(0);
      expect(redriven.stats.duplicatePayloads).toBe(0);

      // invoke: any function, any payload, as `aws lambda invoke` would send it.
      const listed = await npmRun('invoke', ['flush', '{"action":"list-dlq"}']);
      expect(listed.code).toBe(0);
      expect(listed.json).toEqual({ status: 'ok', parked: [], failedRecords: [] });
      const typo = await npmRun('invoke', ['poll-inventory', '{"mode":"ful"}']);
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain('Invalid poll request');
      const unknown = await npmRun('invoke', ['poll-everything', '{}']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unknown function');

      // The dashboard recorded what was done.
      const operations = (await (
        await fetch(new URL('/api/operations', harness.dashboard.url))
      ).json()) as {
        operations: { operation: string; ok: boolean }[];
      };
      expect(operations.operations.map((entry) => entry.operation)).toContain('invoke flush');
    },
  );
});
