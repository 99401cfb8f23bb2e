import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineProgress, PipelineRun } from '../../localstack/start-pipeline';
import { startPipeline } from '../../localstack/start-pipeline';
import { localStack } from '../support/local-stack';

/**
 * The whole pipeline on the real local stack: pollers, merge-consumer and flush in their own
 * worker threads, the EventBridge schedules and the Kafka event source mapping, against the mock
 * APIs. Every resource name is unique to this run (localstack/start-pipeline.ts).
 */

const TOTAL = 20_000;
const CUSTOMERS = Math.round((TOTAL * 2) / 3);
const PRODUCTS = TOTAL - CUSTOMERS;
const MUTATED = { customers: 300, products: 200 };

let pipeline: PipelineRun | undefined;

afterAll(async () => {
  await pipeline?.stop();
});

/** Analytics holds what is expected and nothing is left in Kafka, the mapping or staging. */
function waitUntilDrained(
  accept: (p: PipelineProgress) => boolean,
  timeoutMs: number,
): Promise<PipelineProgress> {
  if (!pipeline) throw new Error('the pipeline is not running');
  return pipeline.waitUntilDrained({ accept, timeoutMs, pollMs: 1_000 });
}

async function mutate(entity: 'customers' | 'products', count: number): Promise<string[]> {
  if (!pipeline) throw new Error('the pipeline is not running');
  const response = await fetch(new URL('/admin/mutate', pipeline.mock.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ entity, count }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { ids: string[] };
  return body.ids;
}

describe('ecom-sync end to end (local stack, workers, schedules, event source mapping)', () => {
  it(
    `delivers ${TOTAL} records exactly once, a full resync adds nothing, ${MUTATED.customers + MUTATED.products} mutations arrive once each`,
    { timeout: 1_500_000 },
    async () => {
      const startedAt = Date.now();
      pipeline = await startPipeline({
        endpoints: localStack(),
        label: 'e2e',
        customers: CUSTOMERS,
        products: PRODUCTS,
        seed: 20_000,
        tickMs: 1_000,
      });
      const { runtime } = pipeline;

      // 1. The first scheduled polls are full syncs; everything reaches Analytics once.
      const first = await waitUntilDrained((p) => p.stats.uniqueRecords >= TOTAL, 900_000);
      const elapsedS = (Date.now() - startedAt) / 1000;
      console.log(
        `[e2e] ${TOTAL} records delivered in ${elapsedS.toFixed(1)} s: ${(TOTAL / elapsedS).toFixed(0)} records/s end to end ` +
          `(${first.stats.payloads} payloads)`,
      );
      expect(first.stats.uniqueRecords).toBe(TOTAL);
      expect(first.stats.uniqueVersions).toBe(TOTAL);
      expect(first.stats.duplicateRecords).toBe(0);
      expect(first.stats.duplicatePayloads).toBe(0);
      expect(first.dlqMessages).toBe(0);

      // 2. A full resync re-publishes everything; the consumer recognises every version.
      const resyncStartedAt = Date.now();
      const [crm, inventory] = (await Promise.all([
        runtime.invoke('pollCrm', { mode: 'full' }),
        runtime.invoke('pollInventory', { mode: 'full' }),
      ])) as Array<{ status: string; published: number }>;
      expect(crm).toMatchObject({ status: 'complete', published: CUSTOMERS });
      expect(inventory).toMatchObject({ status: 'complete', published: PRODUCTS });
      const resynced = await waitUntilDrained(() => true, 600_000);
      console.log(
        `[e2e] full resync of ${TOTAL} records absorbed in ${((Date.now() - resyncStartedAt) / 1000).toFixed(1)} s`,
      );
      expect(resynced.stats).toEqual(first.stats);

      // 3. Changed records flow through the incremental polls, once each.
      const mutatedIds = [
        ...(await mutate('customers', MUTATED.customers)),
        ...(await mutate('products', MUTATED.products)),
      ];
      expect(new Set(mutatedIds).size).toBe(MUTATED.customers + MUTATED.products);
      const expectedVersions = first.stats.uniqueVersions + mutatedIds.length;
      const mutationStartedAt = Date.now();
      const changed = await waitUntilDrained(
        (p) => p.stats.uniqueVersions >= expectedVersions,
        300_000,
      );
      console.log(
        `[e2e] ${mutatedIds.length} changes delivered in ${((Date.now() - mutationStartedAt) / 1000).toFixed(1)} s`,
      );
      // A few more poll cycles must not bring anything else.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const settled = await waitUntilDrained(() => true, 120_000);
      for (const snapshot of [changed, settled]) {
        expect(snapshot.stats.uniqueVersions).toBe(expectedVersions);
        expect(snapshot.stats.uniqueRecords).toBe(TOTAL);
        expect(snapshot.stats.duplicateRecords).toBe(0);
        expect(snapshot.stats.duplicatePayloads).toBe(0);
        expect(snapshot.dlqMessages).toBe(0);
      }
      console.log(`[e2e] metrics: ${JSON.stringify(runtime.metrics.totals())}`);
    },
  );
});
