import type { ServerName } from '../../../localstack/stack/artifacts';
import { checkDelivery } from '../../harness/delivery-check';
import { driveChaosPipeline } from '../drive';
import { paceSources } from '../faults/source-pacing';
import type { ChaosContext, ChaosScenario, ScenarioOutcome } from '../scenario';

interface RestartPlan {
  name: string;
  fault: string;
  server: ServerName;
  /** Fraction of the expected records at Analytics when the server is killed. */
  atDeliveredFraction: number;
  /** How long the server stays dead before it is started again. */
  downMs: number;
}

/**
 * SIGKILL one server of the local stack mid-run and start it again on the same ports with its
 * data (a `durable` stack). Every client of it (the pollers' producers, the mapping's consumer
 * group, merge-consumer's claims and staging, flush's lease, moves and DLQ producer) sees
 * connection errors for a few seconds and must recover by itself: no operator action follows.
 * The sources are paced so that the kill lands while every stage is busy.
 */
function serverRestartScenario(plan: RestartPlan): ChaosScenario {
  return {
    name: plan.name,
    fault: plan.fault,
    async run(context: ChaosContext): Promise<ScenarioOutcome> {
      const pacing = paceSources(context.records, { minSyncSeconds: 20 });
      const outcome = await driveChaosPipeline(context, {
        label: plan.name,
        pipeline: { extraEnv: pacing.pollerEnv },
        beforeStart: (run) => run.mock.state.setFaults(pacing.faults),
        faults: [
          {
            atDeliveredFraction: plan.atDeliveredFraction,
            async inject(run) {
              const delivered = checkDelivery(run.mock.state);
              const percent = Math.round(
                (100 * delivered.received) / Math.max(1, delivered.expected),
              );
              const killedAt = Date.now();
              await context.stack.restartServer(plan.server, {
                signal: 'SIGKILL',
                downMs: plan.downMs,
              });
              const back = ((Date.now() - killedAt) / 1000).toFixed(1);
              return (
                `${plan.server} SIGKILL at ${percent} % delivered, down ${(plan.downMs / 1000).toFixed(1)} s, ` +
                `answering again ${back} s after the kill`
              );
            },
          },
        ],
      });
      return { ...outcome, notes: [...(outcome.notes ?? []), pacing.description] };
    },
  };
}

export const restartScenarios: ChaosScenario[] = [
  serverRestartScenario({
    name: 'kafka-sigkill',
    fault: 'Kafka broker SIGKILLed at ~30 % delivered, restarted after 3 s',
    server: 'kafka',
    atDeliveredFraction: 0.3,
    downMs: 3_000,
  }),
  serverRestartScenario({
    name: 'dynamodb-restart',
    fault: 'DynamoDB Local SIGKILLed at ~40 % delivered, restarted after 2 s with its data',
    server: 'dynamodb',
    atDeliveredFraction: 0.4,
    downMs: 2_000,
  }),
  serverRestartScenario({
    name: 's3-restart',
    fault: 'S3Mock SIGKILLed at ~40 % delivered, restarted after 2 s with its data',
    server: 's3mock',
    atDeliveredFraction: 0.4,
    downMs: 2_000,
  }),
];
