import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDelivery } from '../../bench/harness/delivery-check';
import type { OperatorHarness } from './operator-harness';
import { startOperatorHarness } from './operator-harness';

/**
 * Issue 15, "Redeliver after Analytics lost data": the mock Analytics is wiped (POST /admin/reset
 * with the same data set), then `npm run resync -- --redeliver` as an operator types it, against a
 * pipeline on the local stack.
 */

const CUSTOMERS = 300;
const PRODUCTS = 150;
const TOTAL = CUSTOMERS + PRODUCTS;

let harness: OperatorHarness;

beforeAll(async () => {
  harness = await startOperatorHarness({ customers: CUSTOMERS, products: PRODUCTS, seed: 1515 });
  return () => harness.close();
});

async function npmRun(script: string, args: string[]): Promise<Record<string, unknown>> {
  const argv = ['run', '--silent', script, '--', ...args, '--url', harness.dashboard.url];
  const { stdout } = await promisify(execFile)('npm', argv, { timeout: 240_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function resync(...flags: string[]): Promise<Record<string, Record<string, unknown>>> {
  const answer = await npmRun('resync', ['--source', 'all', '--full', ...flags]);
  return answer.results as Record<string, Record<string, unknown>>;
}

const idempotencyKeys = () =>
  harness.mock.state.analytics.payloads().map((payload) => payload.idempotencyKey);

describe('resync --redeliver after Analytics lost its data', () => {
  it(
    'brings Analytics back exactly once per record; a second one delivers once more; a plain resync nothing; replay --redeliver too',
    { timeout: 600_000 },
    async () => {
      const first = await harness.waitUntilSettled((p) => p.stats.uniqueRecords >= TOTAL, 180_000);
      expect(first.stats).toMatchObject({ uniqueRecords: TOTAL, duplicateRecords: 0 });
      const keysBefore = new Set(idempotencyKeys());

      // Analytics rebuilt empty; the sources keep the same data (same seed and sizes, no drift).
      await harness.mockAdmin('/admin/reset', 'POST', {});
      expect(harness.mock.state.analytics.getStats().recordsReceived).toBe(0);

      // What the issue reports: a plain full resync delivers nothing, every version was seen.
      const plain = await resync();
      expect(plain.crm).toMatchObject({ status: 'complete', published: CUSTOMERS });
      expect(plain.crm?.generation).toBeUndefined();
      const afterPlain = await harness.waitUntilSettled(() => true, 120_000);
      expect(afterPlain.stats.recordsReceived).toBe(0);

      const redelivered = await resync('--redeliver');
      expect(redelivered.crm).toMatchObject({ status: 'complete', published: CUSTOMERS });
      expect(redelivered.inventory).toMatchObject({ status: 'complete', published: PRODUCTS });
      expect(typeof redelivered.crm?.generation).toBe('string');
      const whole = await harness.waitUntilSettled(
        (p) => p.stats.recordsReceived >= TOTAL,
        180_000,
      );
      expect(whole.stats).toMatchObject({
        uniqueRecords: TOTAL,
        uniqueVersions: TOTAL,
        recordsReceived: TOTAL,
        duplicateRecords: 0,
        duplicatePayloads: 0,
      });
      // Every record at its source's current version.
      expect(checkDelivery(harness.mock.state)).toMatchObject({ expected: TOTAL, lost: 0 });
      // New batches, so new Idempotency-Keys: none of them is one Analytics had before the loss.
      const keysAfterFirst = idempotencyKeys();
      expect(keysAfterFirst.filter((key) => keysBefore.has(key))).toEqual([]);

      // Asked for again: delivered once more, which Analytics counts as one duplicate per record.
      const again = await resync('--redeliver');
      expect(again.crm?.generation).not.toBe(redelivered.crm?.generation);
      const twice = await harness.waitUntilSettled(
        (p) => p.stats.recordsReceived >= 2 * TOTAL,
        180_000,
      );
      expect(twice.stats).toMatchObject({
        uniqueRecords: TOTAL,
        uniqueVersions: TOTAL,
        recordsReceived: 2 * TOTAL,
        duplicateRecords: TOTAL,
        duplicatePayloads: 0,
      });

      // The generation stays with its run: a plain resync (and the scheduled polls) deliver nothing.
      await resync();
      const last = await harness.waitUntilSettled(() => true, 120_000);
      expect(last.stats).toEqual(twice.stats);
      expect(last.dlqMessages).toBe(0);

      // replay --redeliver: the latest record per id of the range, once more, as a new generation.
      await harness.mockAdmin('/admin/reset', 'POST', {});
      const topic = harness.names.customerTopic;
      const replayed = await npmRun('replay', ['--topic', topic, '--from', '0', '--redeliver']);
      expect(replayed).toMatchObject({ result: { status: 'ok', republished: CUSTOMERS } });
      const customers = await harness.waitUntilSettled(
        (p) => p.stats.recordsReceived >= CUSTOMERS,
        180_000,
      );
      expect(customers.stats).toMatchObject({
        uniqueRecords: CUSTOMERS,
        uniqueVersions: CUSTOMERS,
        recordsReceived: CUSTOMERS,
        duplicateRecords: 0,
      });
      expect(checkDelivery(harness.mock.state)).toMatchObject({ lost: PRODUCTS });
    },
  );
});
