/** One EMF line's value of a stage's metric, at the line's timestamp. */
export interface StageSample {
  functionName: string;
  timestampMs: number;
  value: number;
}

/** An invocation as timed inside its execution environment. */
export interface TimedInvocation {
  startMs: number;
  endMs: number;
}

export interface StageRate {
  stage: string;
  metric: string;
  records: number;
  /** Start of the first invocation that did the stage's work. */
  startMs: number;
  /** Timestamp of the stage's last EMF line. */
  endMs: number;
  seconds: number;
  recordsPerSecond: number;
}

/**
 * A stage's throughput from the metric lines its functions print: the records counted on every
 * line, over the window from the start of the invocation that printed the first line to the last
 * line. A handler prints its metrics once, when it ends, so a line's value was produced during
 * its own invocation: the invocation (of that function) that contains the timestamp, the
 * earliest-ending one if several overlap. When no timed invocation contains the first line, the
 * window starts at that line and its value is left out (its work happened before the window).
 */
export function stageRate(args: {
  stage: string;
  metric: string;
  samples: readonly StageSample[];
  invocations: Readonly<Record<string, readonly TimedInvocation[]>>;
  /** How much later than the handler's end a line may be stamped (clock reads differ). */
  slackMs?: number;
}): StageRate | undefined {
  const samples = args.samples
    .filter((sample) => sample.value !== 0)
    .sort((a, b) => a.timestampMs - b.timestampMs);
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last) return undefined;
  const slackMs = args.slackMs ?? 50;
  let startMs = Infinity;
  let unplacedFirstValue = 0;
  for (const sample of samples) {
    const invocation = containingInvocation(
      args.invocations[sample.functionName] ?? [],
      sample.timestampMs,
      slackMs,
    );
    if (invocation) startMs = Math.min(startMs, invocation.startMs);
  }
  if (!Number.isFinite(startMs) || startMs > first.timestampMs) {
    startMs = first.timestampMs;
    unplacedFirstValue = first.value;
  }
  const records = samples.reduce((sum, sample) => sum + sample.value, 0);
  const seconds = (last.timestampMs - startMs) / 1000;
  const counted = records - unplacedFirstValue;
  return {
    stage: args.stage,
    metric: args.metric,
    records,
    startMs,
    endMs: last.timestampMs,
    seconds,
    recordsPerSecond: seconds > 0 ? counted / seconds : 0,
  };
}

export function containingInvocation(
  invocations: readonly TimedInvocation[],
  timestampMs: number,
  slackMs: number,
): TimedInvocation | undefined {
  let best: TimedInvocation | undefined;
  for (const invocation of invocations) {
    if (invocation.startMs > timestampMs || invocation.endMs + slackMs < timestampMs) continue;
    if (!best || invocation.endMs < best.endMs) best = invocation;
  }
  return best;
}
