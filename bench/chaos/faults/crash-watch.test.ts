import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCrashSlots } from './crash-slots';
import { watchCrashes } from './crash-watch';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('watchCrashes', () => {
  it('reports each crash once, in order, as slots are taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-watch-'));
    dirs.push(dir);
    const slots = fileCrashSlots(dir, 5);
    const seen: string[] = [];
    const stop = watchCrashes(
      dir,
      async (operation, count) => {
        seen.push(`${count}:${operation}`);
      },
      10,
    );
    slots.claim('Analytics.POST');
    await expect.poll(() => seen).toEqual(['1:Analytics.POST']);
    slots.claim('Analytics.POST');
    await expect.poll(() => seen).toEqual(['1:Analytics.POST', '2:Analytics.POST']);
    await stop();
    slots.claim('Analytics.POST');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(2);
  });
});
