import type { EntityName } from '../../lambdas/mock-apis/dataset';
import { entityNames } from '../../lambdas/mock-apis/dataset';
import type { PipelineRun } from '../harness/pipeline-run';
import type { TimedFault } from './drive';

export interface SourceChangeOptions {
  /** Fire once Analytics holds this share of the expected records. */
  atDeliveredFraction: number;
  /** Share of each entity's records that change (at least one record each). */
  share: number;
  /**
   * How far each source's clock is off ours: the changed records are stamped `updatedAt = now +
   * offset` (positive: the source's clock runs ahead). Default 0.
   */
  clockOffsetMs?: Partial<Record<EntityName, number>>;
}

/** How many records a share of `total` is: at least one, so a small quick run still changes some. */
export function changeCount(total: number, share: number): number {
  return Math.min(total, Math.max(1, Math.round(total * share)));
}

/**
 * Records change at the source while the pipeline runs, so incremental polls (updatedSince =
 * watermark − overlap) have to find them: the delivery check then expects their new versions.
 */
export function sourceChange(options: SourceChangeOptions): TimedFault {
  return {
    atDeliveredFraction: options.atDeliveredFraction,
    inject: (run: PipelineRun) => {
      const now = Date.now();
      const parts = entityNames.map((entity) => {
        const { dataset } = run.mock.state;
        const offsetMs = options.clockOffsetMs?.[entity] ?? 0;
        const count = changeCount(dataset.stores[entity].total, options.share);
        dataset.change(entity, count, now + offsetMs, 'mutate');
        const clock = offsetMs === 0 ? '' : ` (clock ${formatOffset(offsetMs)})`;
        return `${count} ${entity}${clock}`;
      });
      return Promise.resolve(
        `changed ${parts.join(' + ')} at ${Math.round(options.atDeliveredFraction * 100)} % delivered`,
      );
    },
  };
}

/** +240 s, −1 h: how a clock offset reads in a report. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '−' : '+';
  const seconds = Math.abs(offsetMs) / 1000;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${sign}${seconds / 3600} h`;
  return `${sign}${seconds} s`;
}
