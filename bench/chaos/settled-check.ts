import type { PipelineRun } from '../harness/pipeline-run';

/**
 * Run by driveChaosPipeline after every scenario: every record may have reached Analytics and yet a stage may
 * not have recovered from the fault (e.g. the mapping's consumer never rejoined, so whatever the
 * pollers publish next is never consumed). A scenario that says "the pipeline recovers by itself"
 * must also end settled: nothing left in Kafka or staging. (Not `runtime.idle`: the flush
 * schedule fires every tick, so a run may be busy at any instant.)
 */
export async function checkSettled(run: PipelineRun): Promise<string[]> {
  const progress = await run.progress();
  const problems: string[] = [];
  if (progress.consumerLag > 0)
    problems.push(`merge-consumer mapping did not recover: consumer lag ${progress.consumerLag}`);
  if (progress.stagedObjects > 0)
    problems.push(`flush did not recover: ${progress.stagedObjects} objects still staged`);
  return problems;
}
