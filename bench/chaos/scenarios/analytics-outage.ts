import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { pipeline } from '../../../lambdas/shared/pipeline';
import { topicMessageCount } from '../../../localstack/start-pipeline';
import { checkDelivery } from '../../harness/delivery-check';
import type { PipelineRun } from '../../../localstack/start-pipeline';
import type { ChaosScenario, TimedFault } from '../drive';
import { driveChaosPipeline, readDlq } from '../drive';

/** Short locally, so an outage of seconds outlasts it (in AWS: 6 attempts, backoff up to 20 s). */
const flushRetryBudget = {
  FLUSH_MAX_ATTEMPTS: '2',
  FLUSH_BASE_DELAY_MS: '100',
  FLUSH_MAX_DELAY_MS: '200',
} as const;

/** What flush answers to `{ "action": "list-dlq" }` (an invocation result: external input). */
const ParkedListSchema = z.object({
  status: z.literal('ok'),
  parked: z.array(z.looseObject({ eventId: z.string(), batchCount: z.number().int() })),
});

/** What flush answers to `{ "action": "redrive" }`, or `busy` while a scheduled flush holds the lease. */
const RedriveResultSchema = z.union([
  z.object({ status: z.literal('busy') }),
  z.object({ status: z.literal('ok'), redriven: z.array(z.object({ records: z.number().int() })) }),
]);

const listParked = async (run: PipelineRun) =>
  ParkedListSchema.parse(await run.runtime.invoke('flush', { action: 'list-dlq' })).parked;

/** Everything published is consumed and nothing is staged or running: with Analytics down, all parked. */
async function everythingParked(run: PipelineRun): Promise<boolean> {
  const expected = checkDelivery(run.mock.state).expected;
  const published =
    (await topicMessageCount(run.admin, run.names.customerTopic)) +
    (await topicMessageCount(run.admin, run.names.productTopic));
  if (published < expected) return false;
  const progress = await run.progress();
  return (
    progress.consumerLag === 0 &&
    progress.stagedObjects === 0 &&
    progress.dlqMessages > 0 &&
    run.runtime.idle
  );
}

/**
 * Analytics is down until every payload is parked; then the operator redrives, again while the
 * scheduled flush holds the lease or payloads remain (what must hold: docs/chaos.md).
 */
export const analyticsOutageRedrive: ChaosScenario = {
  name: 'analytics-outage-redrive',
  fault: `Analytics answers 503 to every POST for longer than flush's retry budget (${flushRetryBudget.FLUSH_MAX_ATTEMPTS} attempts locally, ${pipeline.flush.maxAttempts} in AWS); then it recovers and the operator redrives dlq/`,
  async run(context) {
    let parked: Awaited<ReturnType<typeof listParked>> = [];
    const timeoutMs = 300_000 + context.records * 20;
    const outage: TimedFault = {
      atDeliveredFraction: 0,
      inject: async (run) => {
        const startedAt = Date.now();
        while (!(await everythingParked(run).catch(() => false))) {
          if (Date.now() > startedAt + timeoutMs)
            throw new Error('the pipeline never parked every batch');
          await sleep(500);
        }
        parked = await listParked(run);
        run.mock.state.setFaults({});
        const batches = parked.reduce((sum, payload) => sum + payload.batchCount, 0);
        const posts = run.mock.state.faultTally.analytics.errors;
        const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
        return `Analytics answered 503 to all ${posts} POSTs for ${seconds} s (flush budget ${flushRetryBudget.FLUSH_MAX_ATTEMPTS} attempts): ${parked.length} payloads (${batches} batches) parked, then the outage ended`;
      },
    };
    const redriveAll = async (run: PipelineRun): Promise<string> => {
      const deadline = Date.now() + timeoutMs;
      let redriven = 0;
      let records = 0;
      let invocations = 0;
      do {
        if (invocations > 0) await sleep(1_000);
        if (Date.now() > deadline)
          throw new Error('parked payloads left after the redrive timeout');
        const answer = await run.runtime.invoke('flush', { action: 'redrive' });
        const result = RedriveResultSchema.parse(answer);
        invocations++;
        if (result.status === 'ok') {
          redriven += result.redriven.length;
          records += result.redriven.reduce((sum, payload) => sum + payload.records, 0);
        }
      } while ((await listParked(run)).length > 0);
      return `redrive re-posted ${redriven} payloads (${records} records) in ${invocations} invocations`;
    };
    const checkAnnouncements = async (run: PipelineRun): Promise<string[]> => {
      const failed =
        parked.length === 0
          ? ['nothing was parked: the outage did not outlast the retry budget']
          : [];
      const announced: string[] = [];
      for (const entry of await readDlq(run, context.stack.endpoints.kafkaBrokers)) {
        if (!entry.ok) failed.push(`DLQ message at offset ${entry.offset} is not a DLQ message`);
        else if (entry.message.stage !== 'flush' || entry.message.origin.eventId === undefined) {
          failed.push(`unexpected ${entry.message.stage} DLQ message: ${entry.message.reason}`);
        } else announced.push(entry.message.origin.eventId);
      }
      const parkedIds = new Set(parked.map(({ eventId }) => eventId));
      for (const eventId of parkedIds) {
        const count = announced.filter((id) => id === eventId).length;
        if (count !== 1)
          failed.push(`parked payload ${eventId.slice(0, 12)} has ${count} DLQ messages`);
      }
      for (const eventId of new Set(announced.filter((id) => !parkedIds.has(id))))
        failed.push(`DLQ message for ${eventId.slice(0, 12)}, which was never listed as parked`);
      const left = (await listParked(run)).length;
      if (left > 0) failed.push(`${left} payloads still parked after the redrive`);
      return failed;
    };
    const outcome = await driveChaosPipeline(context, {
      label: 'analytics-outage',
      pipeline: { extraEnv: { flush: { ...flushRetryBudget } } },
      mockFaults: { analytics: { errorRate: 1, status: 503 } },
      faults: [outage],
      settleFirst: true,
      recover: redriveAll,
      inspect: checkAnnouncements,
      tallyRoutes: ['analytics'],
    });
    // One analytics_dlq message per parked payload: the operator's signal that a redrive is due.
    return { ...outcome, expectedDlqMessages: parked.length };
  },
};
