import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { z } from 'zod';
import { staging } from '../shared/pipeline';
import type { StagingStore } from '../shared/staging-format';
import { parseJson } from '../shared/config';

/**
 * The ids a source is known to hold, from which a completed full listing finds its hard deletes;
 * its objects under `ids/<source>/` (`known/`, `log/`, `run/`) and the steps: docs/DESIGN.md,
 * "Hard deletes".
 */
const IdsSchema = z.object({
  /** Listed by the source (published, or dead-lettered: it exists either way). */
  ids: z.array(z.string()),
  /** Soft deletes: published as tombstones already. */
  deleted: z.array(z.string()),
  /** A snapshot's: the log objects it accounts for, skipped if a crash left them behind. */
  logs: z.array(z.string()).optional(),
});
export type PageIds = Pick<z.infer<typeof IdsSchema>, 'ids' | 'deleted'>;

export class KnownIds {
  private readonly base: string;

  constructor(
    private readonly store: Pick<StagingStore, 'list' | 'get' | 'put' | 'delete'>,
    source: string,
    private readonly now: () => Date,
  ) {
    this.base = `${staging.knownIds}${source}/`;
  }

  /** A published page's ids, written before the cursor or watermark moves past it. */
  async record(page: PageIds, fullRunStartedAt: string | undefined): Promise<void> {
    if (page.ids.length + page.deleted.length === 0) return;
    const folder = fullRunStartedAt === undefined ? 'log' : `run/${fullRunStartedAt}`;
    const key = `${this.base}${folder}/${this.now().toISOString()}-${randomUUID()}.json`;
    await this.store.put(key, JSON.stringify(page));
  }

  /**
   * The hard deletes of the full listing started at `runStartedAt`: known − listed (DESIGN, "Hard
   * deletes", 1–3); `verify` (sync-state unchanged) runs after every read, for the reason DESIGN's
   * "Why verify after reading" gives.
   */
  async complete(
    runStartedAt: string,
    snapshotKey: string | undefined,
    verify: () => Promise<void>,
  ) {
    const keys = (await this.store.list(this.base)).map(({ key }) => key).sort();
    const missing: string[] = [];
    const read = async (key: string) => {
      const text = await this.store.get(key);
      if (text === undefined) return void missing.push(key);
      const parsed = parseJson(IdsSchema, text, 'IdsSchema');
      if ('reason' in parsed) throw new Error(`known ids ${key} ${parsed.reason}`);
      return parsed.data;
    };
    const snapshot = snapshotKey === undefined ? undefined : await read(snapshotKey);
    const folder = (name: string) => keys.filter((key) => key.startsWith(`${this.base}${name}/`));
    const accounted = new Set(snapshot?.logs);
    // Every log listed: those left behind by a crashed cleanup stay accounted for.
    const listedLogs = folder('log');
    const logs = listedLogs.filter((key) => !accounted.has(key));
    const time = (key: string) => key.slice(key.lastIndexOf('/') + 1);
    const listed = [
      ...folder(`run/${runStartedAt}`),
      ...logs.filter((k) => time(k) >= runStartedAt),
    ];
    listed.sort((a, b) => (time(a) < time(b) ? -1 : 1));
    const limit = pLimit(16);
    const toRead = [...new Set([...logs, ...listed])];
    const objects = new Map(await limit.map(toRead, async (k) => [k, await read(k)] as const));
    const known = new Set(snapshot?.ids);
    for (const key of logs) {
      for (const id of objects.get(key)?.ids ?? []) known.add(id);
      for (const id of objects.get(key)?.deleted ?? []) known.delete(id);
    }
    // In the order they were written: an id's last word decides whether it is still alive.
    const alive = new Set<string>();
    for (const key of listed) {
      const { ids = [], deleted = [] } = objects.get(key) ?? {};
      for (const id of [...ids, ...deleted]) known.delete(id);
      for (const id of ids) alive.add(id);
      for (const id of deleted) alive.delete(id);
    }
    await verify();
    if (missing.length > 0) throw new Error(`known ids objects vanished: ${missing.join(', ')}`);
    return {
      deletes: [...known],
      /** The next snapshot, under a key of its own: the commit (sync-state) chooses one. */
      save: async () => {
        const key = `${this.base}known/${runStartedAt}-${randomUUID()}.json`;
        const next = { ids: [...alive], deleted: [], logs: listedLogs };
        await this.store.put(key, JSON.stringify(next));
        return key;
      },
      /** Step 7, after the commit: what it superseded (a crash leaves it to the next one). */
      cleanup: async (saved: string) => {
        const startedBy = (name: string) => {
          const at = `${this.base}${name}/`.length;
          return folder(name).filter((k) => k.slice(at, at + runStartedAt.length) <= runStartedAt);
        };
        const stale = [...listedLogs, ...startedBy('known'), ...startedBy('run')];
        const deletes = stale.filter((key) => key !== saved);
        await limit.map(deletes, (key) => this.store.delete(key));
      },
    };
  }
}
