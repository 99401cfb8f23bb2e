import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { createProducer } from '../../lambdas/shared/kafka';
import { pipeline, topics as pipelineTopics } from '../../lambdas/shared/pipeline';
import type {
  BatchOutcome,
  EventSourceIdentity,
  FailureCondition,
  KafkaLambdaEvent,
  SourceRecord,
} from './msk-event';
import {
  MAX_INVOCATION_PAYLOAD_BYTES,
  buildMskEvent,
  buildOnFailureMessages,
  emptyEventBytes,
  eventPartitionBytes,
  eventRecordBytes,
  interpretBatchResponse,
  topicPartitionKey,
} from './msk-event';

/** The function a mapping invokes: a worker-hosted Lambda (`host.invoke`) or a plain function. */
export type KafkaEventTarget = (event: KafkaLambdaEvent) => Promise<unknown>;

/** The error-handling controls of a Kafka event source mapping, as in AWS. */
export interface MappingControls {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  /** -1 = retry until the records expire (at most 10 with an on-failure destination, as AWS). */
  maximumRetryAttempts: number;
  /** -1 = never expire. */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  /** Kafka topic of the on-failure destination; null discards exhausted batches (AWS default). */
  onFailureTopic: string | null;
}

export const defaultMappingControls: MappingControls = {
  batchSize: pipeline.mergeConsumer.batchSize,
  maximumBatchingWindowInSeconds: pipeline.mergeConsumer.maxBatchingWindowSeconds,
  maximumRetryAttempts: pipeline.mergeConsumer.maximumRetryAttempts,
  maximumRecordAgeInSeconds: pipeline.mergeConsumer.maximumRecordAgeSeconds,
  bisectBatchOnFunctionError: pipeline.mergeConsumer.bisectBatchOnFunctionError,
  reportBatchItemFailures: pipeline.mergeConsumer.reportBatchItemFailures,
  onFailureTopic: pipelineTopics.dlq,
};

export interface KafkaEventSourceOptions {
  kafka: Kafka;
  /** Infra gives each topic its own mapping and consumer group; tests may map several. */
  topics: string[];
  groupId: string;
  target: KafkaEventTarget;
  functionArn: string;
  /** What the events name as their source; MSK (`aws:kafka`) unless it says self-managed Kafka. */
  source: EventSourceIdentity;
  controls?: Partial<MappingControls>;
  /** Concurrent invocations (each on different partitions); AWS allows one per partition. */
  maxConcurrency?: number;
  /** Pause before a retry; grows linearly with the attempt. */
  retryBackoffMs?: number;
  /** Pause before the consumer rejoins after a crash kafkajs does not restart; grows linearly. */
  consumerRestartDelayMs?: number;
  onActivity?: (activity: MappingActivity) => void;
}

/** What the mapping did, for logs, dashboards and tests. */
export type MappingActivity =
  | { type: 'partial-failure'; failed: Record<string, string> }
  | { type: 'function-error'; records: number; message: string }
  | { type: 'on-failure'; condition: FailureCondition; records: number; destination: string | null }
  | { type: 'commit'; offsets: Record<string, string> }
  | { type: 'internal-error'; message: string }
  | { type: 'consumer-restart'; reason: string; attempt: number };

interface PartitionState {
  topic: string;
  partition: number;
  buffer: SourceRecord[];
  /** The offset after the last record buffered or in flight; refetched records below it are skipped. */
  nextOffset: bigint | undefined;
  busy: boolean;
  paused: boolean;
  /** How many leading buffered records the batch being built holds (see takeBatch). */
  taking: number;
}

interface WorkItem {
  records: SourceRecord[];
  retries: number;
}

class MappingStopped extends Error {}

/**
 * Emulates Lambda's Kafka event source mapping over a real kafkajs consumer group.
 *
 * Why not `eachBatch` → invoke directly: kafkajs hands out one partition's fetch at a time, but a
 * mapping builds batches of up to `batchSize` across partitions and waits up to the batching
 * window. So `eachBatch` only copies fetched records into a per-partition buffer and resolves
 * them (with autoCommit off, "resolved" moves the fetch position and commits nothing); a
 * dispatcher builds batches from partitions that have no invocation in flight, which keeps order
 * per partition. Offsets are committed explicitly, per partition, only once the records are
 * settled (success, or handed to the on-failure destination). Retries replay the records held in
 * memory, so no `seek` is needed; a partition whose buffer is full is paused until it drains.
 * Records not settled at shutdown or on crash are simply not committed and are delivered again.
 */
export class KafkaEventSource {
  private readonly controls: MappingControls;
  private readonly source: EventSourceIdentity;
  private readonly emptyEventBytes: number;
  private readonly consumer: Consumer;
  private producer: Producer | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly committed = new Map<string, bigint>();
  private windowTimer: NodeJS.Timeout | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartAttempts = 0;
  /** `"<topic>-<partition>"` of the current assignment. */
  private assigned = new Set<string>();
  /** Set by every (re)join: the committed offsets are sent again once the consumer runs. */
  private recommitPending = false;
  /** Commits run one after another, so a later offset is never overtaken by an earlier one. */
  private commitQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: KafkaEventSourceOptions) {
    this.controls = effectiveControls({ ...defaultMappingControls, ...options.controls });
    if (this.controls.batchSize < 1) throw new Error('batchSize must be at least 1');
    this.source = options.source;
    this.emptyEventBytes = emptyEventBytes(this.source);
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
    });
  }

  /** Joins the group and starts delivering; resolves once partitions are assigned. */
  async start(): Promise<void> {
    if (this.controls.onFailureTopic) {
      this.producer = createProducer(this.options.kafka);
      await this.producer.connect();
    }
    await this.consumer.connect();
    const joined = new Promise<void>((resolve) => {
      this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
        this.restartAttempts = 0;
        this.recommitPending = true;
        this.onAssignment(event.payload.memberAssignment);
        resolve();
      });
    });
    this.consumer.on(this.consumer.events.FETCH_START, () => this.onFetchStart());
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) this.scheduleRestart(event.payload.error);
    });
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({
        topic,
        // TRIM_HORIZON: a new group reads its partitions from the start.
        fromBeginning: true,
      });
    }
    this.running = true;
    await this.runConsumer();
    await joined;
  }

  private runConsumer(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      // Only copies the fetch into the buffers; kafkajs wants a promise back.
      eachBatch: (payload) => {
        this.bufferBatch(payload);
        return Promise.resolve();
      },
    });
  }

  /**
   * kafkajs restarts its consumer only after retriable errors; after any other crash it
   * disconnects and stays down, and the mapping would stop delivering without a word (seen once
   * when the broker was SIGKILLed). A Lambda event source mapping never gives up on its
   * partitions, so neither does the emulator: it reconnects and rejoins (the subscriptions stay
   * on the consumer), retrying with a growing pause until it is stopped. Records buffered or in
   * flight are kept; what the group refetches below them is skipped.
   */
  private scheduleRestart(error: Error): void {
    if (!this.running || this.restartTimer !== undefined) return;
    this.restartAttempts += 1;
    const attempt = this.restartAttempts;
    this.options.onActivity?.({ type: 'consumer-restart', reason: error.message, attempt });
    const delayMs = (this.options.consumerRestartDelayMs ?? 1000) * Math.min(attempt, 10);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.running) return;
      this.consumer
        .connect()
        .then(() => this.runConsumer())
        .catch((restartError: unknown) =>
          this.scheduleRestart(
            restartError instanceof Error ? restartError : new Error(String(restartError)),
          ),
        );
    }, delayMs);
  }

  /** Stops fetching, lets running invocations finish (uncommitted records get redelivered later). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    clearTimeout(this.windowTimer);
    await Promise.allSettled([...this.inFlight]);
    await this.consumer.disconnect();
    await this.producer?.disconnect();
    this.partitions.clear();
  }

  /** True when nothing is buffered and no invocation is running. */
  get idle(): boolean {
    return (
      this.inFlight.size === 0 &&
      [...this.partitions.values()].every((state) => state.buffer.length === 0)
    );
  }

  private get highWaterMark(): number {
    return Math.max(this.controls.batchSize * 4, 1000);
  }

  private bufferBatch(payload: EachBatchPayload): void {
    const { batch } = payload;
    if (!this.running || !payload.isRunning() || payload.isStale()) return;
    const state = this.partitionState(batch.topic, batch.partition);
    const now = Date.now();
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (state.nextOffset !== undefined && offset < state.nextOffset) {
        payload.resolveOffset(message.offset);
        continue;
      }
      if (state.buffer.length >= this.highWaterMark) {
        state.paused = true;
        this.consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        break;
      }
      state.buffer.push({
        topic: batch.topic,
        partition: batch.partition,
        offset,
        message,
        receivedAt: now,
      });
      state.nextOffset = offset + 1n;
      payload.resolveOffset(message.offset);
    }
    this.dispatch();
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = topicPartitionKey({ topic, partition });
    let state = this.partitions.get(key);
    if (!state) {
      state = {
        topic,
        partition,
        buffer: [],
        nextOffset: undefined,
        busy: false,
        paused: false,
        taking: 0,
      };
      this.partitions.set(key, state);
    }
    return state;
  }

  /**
   * After a (re)join kafkajs fetches assigned partitions again from the committed offset:
   * keep what is buffered (refetched offsets below `nextOffset` are skipped) and forget
   * partitions that went to another member, unless an invocation still holds them.
   */
  private onAssignment(assignment: Record<string, number[]>): void {
    const assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => `${topic}-${partition}`),
      ),
    );
    this.assigned = assigned;
    for (const [key, state] of this.partitions) {
      if (!assigned.has(key) && !state.busy) this.partitions.delete(key);
    }
  }

  private dispatch(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    if (!this.running) return;
    const maxConcurrency = this.options.maxConcurrency ?? Number.POSITIVE_INFINITY;
    const windowMs = this.controls.maximumBatchingWindowInSeconds * 1000;
    while (this.inFlight.size < maxConcurrency) {
      const ready = [...this.partitions.values()]
        .filter((state) => !state.busy && state.buffer.length > 0)
        .sort((a, b) => (a.buffer[0]?.receivedAt ?? 0) - (b.buffer[0]?.receivedAt ?? 0));
      if (ready.length === 0) return;
      const { records, taken, full } = this.takeBatch(ready);
      const oldest = ready[0]?.buffer[0]?.receivedAt ?? Date.now();
      const waitMs = oldest + windowMs - Date.now();
      if (!full && waitMs > 0) {
        this.windowTimer = setTimeout(() => this.dispatch(), waitMs);
        return;
      }
      for (const state of taken) {
        state.buffer.splice(0, state.taking);
        state.taking = 0;
        state.busy = true;
      }
      const run = this.deliver(records, taken).finally(() => {
        this.inFlight.delete(run);
        for (const state of taken) {
          state.busy = false;
          this.resumeIfDrained(state);
        }
        this.dispatch();
      });
      this.inFlight.add(run);
    }
  }

  /**
   * The next batch, oldest partitions first: up to `batchSize` records and no more than the 6 MB
   * invocation payload limit (a record that alone is over it is taken alone; `deliver` gives it
   * up). `full` = a limit was reached, so the batching window need not be waited out. Nothing is
   * removed from the buffers: `taking` says how many records of each partition the batch holds.
   */
  private takeBatch(ready: PartitionState[]): {
    records: SourceRecord[];
    taken: PartitionState[];
    full: boolean;
  } {
    const records: SourceRecord[] = [];
    const taken: PartitionState[] = [];
    let bytes = this.emptyEventBytes;
    for (const state of ready) {
      state.taking = 0;
      for (const record of state.buffer) {
        if (records.length >= this.controls.batchSize) return { records, taken, full: true };
        const more =
          eventRecordBytes(record) + (state.taking === 0 ? eventPartitionBytes(record) : 0);
        if (records.length > 0 && bytes + more > MAX_INVOCATION_PAYLOAD_BYTES)
          return { records, taken, full: true };
        bytes += more;
        records.push(record);
        if (state.taking === 0) taken.push(state);
        state.taking += 1;
      }
    }
    return { records, taken, full: records.length >= this.controls.batchSize };
  }

  private resumeIfDrained(state: PartitionState): void {
    if (state.paused && state.buffer.length < this.highWaterMark / 2 && this.running) {
      try {
        this.consumer.resume([{ topic: state.topic, partitions: [state.partition] }]);
        state.paused = false;
      } catch (error) {
        // kafkajs has no consumer group while it restarts; the next FETCH_START tries again.
        this.emit({ type: 'internal-error', message: `resume: ${messageOf(error)}` });
      }
    }
  }

  /**
   * FETCH_START comes only from a running kafkajs runner: the moment to repeat what kafkajs may
   * have dropped while it was not running (broker restart, crash, rejoin). Its commitOffsets
   * returns without committing anything when the runner is stopped, and resume throws while it has
   * no group; without this the emulator would believe offsets committed that were not (a drained
   * pipeline showing lag forever: the kafka-sigkill chaos scenario) or partitions resumed that
   * stay paused.
   */
  private onFetchStart(): void {
    for (const state of this.partitions.values()) this.resumeIfDrained(state);
    if (this.recommitPending && this.running) {
      this.recommitPending = false;
      void this.recommit();
    }
  }

  /** Sends every offset this mapping committed for its assigned partitions again. */
  private recommit(): Promise<void> {
    return this.serializedCommit(async () => {
      const offsets = [...this.committed].filter(([key]) => this.assigned.has(key));
      if (offsets.length === 0) return;
      try {
        await this.consumer.commitOffsets(
          offsets.map(([key, offset]) => {
            const [topic, partition] = splitTopicPartition(key);
            return { topic, partition, offset: String(offset) };
          }),
        );
        this.emit({
          type: 'commit',
          offsets: Object.fromEntries(offsets.map(([key, offset]) => [key, String(offset)])),
        });
      } catch (error) {
        this.recommitPending = true;
        this.emit({ type: 'internal-error', message: `re-commit: ${messageOf(error)}` });
      }
    });
  }

  private serializedCommit<T>(task: () => Promise<T>): Promise<T> {
    const result = this.commitQueue.then(task);
    this.commitQueue = result.catch(() => undefined);
    return result;
  }

  /**
   * Delivers one batch to settlement: every record ends either committed after success or
   * committed after being handed to the on-failure destination. Bisected halves run in order.
   */
  private async deliver(records: SourceRecord[], taken: PartitionState[]): Promise<void> {
    const work: WorkItem[] = [{ records, retries: 0 }];
    let current: WorkItem | undefined;
    try {
      while (work.length > 0) {
        const item = work.shift() as WorkItem;
        current = item;
        if (!this.running) throw new MappingStopped();
        const { fresh, expired } = this.splitExpired(item.records);
        if (expired.length > 0) {
          await this.settleFailed(expired, 'RecordAgeExceeded', item.retries);
        }
        if (fresh.length === 0) continue;
        if (
          fresh.length === 1 &&
          Buffer.byteLength(JSON.stringify(buildMskEvent(fresh, this.source))) >
            MAX_INVOCATION_PAYLOAD_BYTES
        ) {
          await this.settleFailed(fresh, 'MaximumPayloadSizeExceeded', 0);
          continue;
        }
        if (item.retries > 0) await sleep((this.options.retryBackoffMs ?? 100) * item.retries);
        const outcome = await this.invokeOnce(fresh);
        if (outcome.kind === 'success') {
          await this.commit(fresh, new Map());
          continue;
        }
        if (outcome.kind === 'partial') {
          this.emit({
            type: 'partial-failure',
            failed: Object.fromEntries(
              [...outcome.firstFailedOffset].map(([key, offset]) => [key, String(offset)]),
            ),
          });
          const failedFrom = outcome.firstFailedOffset;
          const isRetried = (record: SourceRecord): boolean => {
            const first = failedFrom.get(topicPartitionKey(record));
            return first !== undefined && record.offset >= first;
          };
          await this.commit(
            fresh.filter((record) => !isRetried(record)),
            failedFrom,
          );
          const remaining = fresh.filter(isRetried);
          if (this.mayRetry(item.retries))
            work.unshift({ records: remaining, retries: item.retries + 1 });
          else await this.settleFailed(remaining, 'RetryAttemptsExhausted', item.retries + 1);
          continue;
        }
        const message =
          outcome.kind === 'malformed'
            ? `malformed batch response: ${outcome.reason}`
            : outcome.message;
        this.emit({ type: 'function-error', records: fresh.length, message });
        if (this.controls.bisectBatchOnFunctionError && fresh.length > 1) {
          const middle = Math.ceil(fresh.length / 2);
          const halves: WorkItem[] = [
            { records: fresh.slice(0, middle), retries: item.retries },
            { records: fresh.slice(middle), retries: item.retries },
          ];
          work.unshift(...halves);
        } else if (this.mayRetry(item.retries)) {
          work.unshift({ records: fresh, retries: item.retries + 1 });
        } else {
          await this.settleFailed(fresh, 'RetryAttemptsExhausted', item.retries + 1);
        }
      }
    } catch (error) {
      // Unsettled records go back to the front of their partitions, in order, to be delivered again
      // (some of `current` may already be committed: at-least-once, the handlers dedupe).
      const unsettled = [...(current ? [current] : []), ...work].flatMap((item) => item.records);
      if (!(error instanceof MappingStopped)) {
        this.emit({ type: 'internal-error', message: messageOf(error) });
        await sleep(this.options.retryBackoffMs ?? 100);
      }
      this.requeue(unsettled, taken);
    }
  }

  private requeue(records: SourceRecord[], taken: PartitionState[]): void {
    for (const state of taken) {
      const own = records.filter(
        (record) => record.topic === state.topic && record.partition === state.partition,
      );
      state.buffer.unshift(...own);
    }
  }

  private mayRetry(retries: number): boolean {
    const max = this.controls.maximumRetryAttempts;
    return max < 0 || retries < max;
  }

  /** Per partition, the leading records older than MaximumRecordAgeInSeconds. */
  private splitExpired(records: SourceRecord[]): {
    fresh: SourceRecord[];
    expired: SourceRecord[];
  } {
    const maxAge = this.controls.maximumRecordAgeInSeconds;
    if (maxAge < 0) return { fresh: records, expired: [] };
    const cutoff = Date.now() - maxAge * 1000;
    // Partitions that reached a record young enough: everything after it is fresh too.
    const reached = new Set<string>();
    const fresh: SourceRecord[] = [];
    const expired: SourceRecord[] = [];
    for (const record of records) {
      const key = topicPartitionKey(record);
      if (!reached.has(key) && Number(record.message.timestamp) < cutoff) expired.push(record);
      else {
        reached.add(key);
        fresh.push(record);
      }
    }
    return { fresh, expired };
  }

  private async invokeOnce(
    records: SourceRecord[],
  ): Promise<BatchOutcome | { kind: 'error'; message: string }> {
    let response: unknown;
    try {
      response = await this.options.target(buildMskEvent(records, this.source));
    } catch (error) {
      return { kind: 'error', message: messageOf(error) };
    }
    return this.controls.reportBatchItemFailures
      ? interpretBatchResponse(response, records)
      : { kind: 'success' };
  }

  /**
   * Hands records to the on-failure destination (if any) and commits past them: one message per
   * record, keyed by the record's own key, as AWS writes a Kafka destination.
   */
  private async settleFailed(
    records: SourceRecord[],
    condition: FailureCondition,
    invokeCount: number,
  ): Promise<void> {
    const destination = this.controls.onFailureTopic;
    if (destination && this.producer && records.length > 0) {
      const messages = buildOnFailureMessages({
        records,
        source: this.source,
        functionArn: this.options.functionArn,
        condition,
        invokeCount,
      });
      await this.producer.send({
        topic: destination,
        acks: -1,
        messages: messages.map(({ key, value }) => ({ key, value: JSON.stringify(value) })),
      });
    }
    this.emit({ type: 'on-failure', condition, records: records.length, destination });
    await this.commit(records, new Map());
  }

  /**
   * Commits, per partition, the offset after the last settled record — or, for a partition with a
   * reported failure, the failed offset itself, so a restart resumes exactly there.
   */
  private commit(settled: SourceRecord[], failedFrom: Map<string, bigint>): Promise<void> {
    return this.serializedCommit(() => this.commitNow(settled, failedFrom));
  }

  private async commitNow(settled: SourceRecord[], failedFrom: Map<string, bigint>): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const record of settled) {
      next.set(topicPartitionKey(record), {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1n,
      });
    }
    for (const [key, offset] of failedFrom) {
      const [topic, partition] = splitTopicPartition(key);
      next.set(key, { topic, partition, offset });
    }
    const offsets = [...next.entries()].filter(
      ([key, entry]) => (this.committed.get(key) ?? -1n) < entry.offset,
    );
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(
      offsets.map(([, entry]) => ({
        topic: entry.topic,
        partition: entry.partition,
        offset: String(entry.offset),
      })),
    );
    for (const [key, entry] of offsets) this.committed.set(key, entry.offset);
    this.emit({
      type: 'commit',
      offsets: Object.fromEntries(offsets.map(([key, entry]) => [key, String(entry.offset)])),
    });
  }

  private emit(activity: MappingActivity): void {
    this.options.onActivity?.(activity);
  }
}

/**
 * "When you configure both infinite retries and an on-failure destination, Lambda automatically
 * applies a maximum of 10 retry attempts"
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-retry-options).
 */
export function effectiveControls(controls: MappingControls): MappingControls {
  return controls.maximumRetryAttempts === -1 && controls.onFailureTopic !== null
    ? { ...controls, maximumRetryAttempts: 10 }
    : controls;
}

function splitTopicPartition(key: string): [string, number] {
  const dash = key.lastIndexOf('-');
  return [key.slice(0, dash), Number(key.slice(dash + 1))];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
