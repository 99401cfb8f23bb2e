import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OperatorHarness } from './operator-harness';
import { startOperatorHarness } from './operator-harness';

/**
 * The local dashboard in real headless Chromium (Debian's package; playwright-core downloads
 * nothing) while the pipeline runs on the local stack.
 */

const CHROMIUM = '/usr/bin/chromium';
const CUSTOMERS = 400;
const PRODUCTS = 200;

let harness: OperatorHarness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  harness = await startOperatorHarness({ customers: CUSTOMERS, products: PRODUCTS, seed: 808 });
  browser = await chromium
    .launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch(async (error: unknown) => {
      await harness.close();
      throw error;
    });
  return async () => {
    await browser.close();
    await harness.close();
  };
});

describe('local dashboard in headless Chromium', () => {
  it(
    'charts the run from EMF, and its resync button moves the counters',
    { timeout: 300_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1500, height: 1400 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(harness.dashboard.url);
      await expect(page.title()).resolves.toContain('ecom-sync');

      // One chart per CloudWatch stage widget, plus lag and DLQ depth.
      await page.waitForSelector('[data-chart="panel-Delivered"] canvas');
      expect(await page.locator('[data-chart]').count()).toBe(12);

      // During the first full sync the stage charts get non-zero points.
      // In-page code as strings: this project compiles without the DOM lib.
      const chartHasData = (name: string): string =>
        `(() => { const c = document.querySelector('[data-chart="${name}"] canvas'); ` +
        `const chart = c && Chart.getChart(c); ` +
        `return !!chart && chart.data.datasets.some((set) => set.data.some((v) => v > 0)); })()`;
      await page.waitForFunction(
        ['panel-Fetched', 'panel-Published', 'panel-Staged', 'panel-Delivered']
          .map(chartHasData)
          .join(' && '),
        undefined,
        { timeout: 180_000, polling: 500 },
      );
      await harness.waitUntilSettled((p) => p.stats.uniqueRecords >= CUSTOMERS + PRODUCTS, 180_000);

      const published = async (): Promise<number> =>
        Number(
          ((await page.locator('[data-metric="RecordsPublished"]').textContent()) ?? '').replace(
            /,/g,
            '',
          ),
        );
      // The page reads the same EMF totals the runtime counts (which keep moving: incremental polls).
      const countedByRuntime = harness.runtime.metrics.get('RecordsPublished').sum;
      await expect.poll(published, { timeout: 10_000 }).toBeGreaterThanOrEqual(countedByRuntime);
      const before = await published();
      expect(before).toBeGreaterThanOrEqual(CUSTOMERS + PRODUCTS);

      await page.selectOption('#resync-source', 'crm');
      await page.check('input[name="mode"][value="full"]');
      await page.click('#resync-button');
      await page.waitForFunction(
        `document.getElementById('operation-result').textContent.includes('resync crm full: done')`,
        undefined,
        { timeout: 120_000 },
      );
      const answer = await page.locator('#operation-result').textContent();
      expect(answer).toContain('"published": 400');
      // The full CRM resync re-publishes every customer: the counter moves by at least that many
      // (scheduled incremental polls re-publish their small overlap meanwhile).
      await expect.poll(published, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + CUSTOMERS);

      const settled = await harness.waitUntilSettled(() => true, 120_000);
      expect(settled.stats.uniqueRecords).toBe(CUSTOMERS + PRODUCTS);
      expect(settled.stats.duplicateRecords).toBe(0);
      // The page shows the same state the servers report.
      await expect
        .poll(async () => page.locator('#state-unique').textContent(), { timeout: 10_000 })
        .toBe(String(CUSTOMERS + PRODUCTS));

      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true });
      expect(pageErrors).toEqual([]);
      console.log(
        `[dashboard] screenshot: test-artifacts/dashboard.png; metrics ${JSON.stringify(harness.runtime.metrics.totals())}`,
      );
    },
  );
});
