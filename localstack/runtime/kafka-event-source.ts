import { setTimeout as sleep } from 'node:timers/promises';
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
  eventBytes,
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
  /** The mapping itself failed (e.g. the on-failure topic refused a write); the records are retried. */
  | { type: 'delivery-error'; records: number; message: string }
  | { type: 'on-failure'; condition: FailureCondition; records: number; destination: string | null }
  | { type: 'commit'; offsets: Record<string, string> }
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

type CommittedOffset = Pick<SourceRecord, 'topic' | 'partition' | 'offset'>;

class MappingStopped extends Error {}

/**
 * Emulates Lambda's Kafka event source mapping over a real kafkajs consumer group. Why `eachBatch`
 * only buffers and a dispatcher builds the batches: localstack/runtime/README.md, "Kafka event
 * source mapping emulator". Records not settled at shutdown or on crash are delivered again.
 */
export class KafkaEventSource {
  private readonly controls: MappingControls;
  private readonly emptyEventBytes: number;
  private readonly consumer: Consumer;
  private producer: Producer | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly committed = new Map<string, CommittedOffset>();
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
    this.emptyEventBytes = Buffer.byteLength(JSON.stringify(buildMskEvent([], options.source)));
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
    // TRIM_HORIZON: a new group reads its partitions from the start.
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
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

  /** Rejoins after a crash kafkajs won't restart from (README, "kafkajs restarts its consumer"). */
  private scheduleRestart(error: unknown): void {
    if (!this.running || this.restartTimer !== undefined) return;
    this.restartAttempts += 1;
    const attempt = this.restartAttempts;
    this.emit({ type: 'consumer-restart', reason: messageOf(error), attempt });
    const delayMs = (this.options.consumerRestartDelayMs ?? 1000) * Math.min(attempt, 10);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.running) return;
      this.consumer
        .connect()
        .then(() => this.runConsumer())
        .catch((restartError: unknown) => this.scheduleRestart(restartError));
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
    const { topic, partition } = batch;
    if (!this.running || !payload.isRunning() || payload.isStale()) return;
    const state = this.partitionState(topic, partition);
    const now = Date.now();
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (state.nextOffset !== undefined && offset < state.nextOffset) {
        payload.resolveOffset(message.offset);
        continue;
      }
      if (state.buffer.length >= this.highWaterMark) {
        state.paused = true;
        this.consumer.pause([{ topic, partitions: [partition] }]);
        break;
      }
      state.buffer.push({ topic, partition, offset, message, receivedAt: now });
      state.nextOffset = offset + 1n;
      payload.resolveOffset(message.offset);
    }
    this.dispatch();
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = topicPartitionKey({ topic, partition });
    let state = this.partitions.get(key);
    if (!state) {
      const fresh = { buffer: [], nextOffset: undefined, busy: false, paused: false, taking: 0 };
      this.partitions.set(key, (state = { topic, partition, ...fresh }));
    }
    return state;
  }

  /** After a (re)join: keep what is buffered, forget idle partitions that went to another member. */
  private onAssignment(assignment: Record<string, number[]>): void {
    this.assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => topicPartitionKey({ topic, partition })),
      ),
    );
    for (const [key, state] of this.partitions) {
      if (!this.assigned.has(key) && !state.busy) this.partitions.delete(key);
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
   * The next batch, oldest partitions first, within `batchSize` and 6 MB (README, "Payload limit");
   * `full`: no need to wait out the window. `taking` marks what it holds; nothing leaves the buffers.
   */
  private takeBatch(ready: PartitionState[]) {
    const records: SourceRecord[] = [];
    const taken: PartitionState[] = [];
    let bytes = this.emptyEventBytes;
    for (const state of ready) {
      state.taking = 0;
      for (const record of state.buffer) {
        if (records.length >= this.controls.batchSize) return { records, taken, full: true };
        const more = eventBytes(record, state.taking === 0);
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
      } catch {
        // kafkajs has no consumer group while it restarts; the next FETCH_START tries again.
      }
    }
  }

  /** The runner runs again: repeat what it dropped (README, "kafkajs' `commitOffsets` also"). */
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
      // Not committed yet (the runner stopped again): the next FETCH_START retries.
      await this.sendCommit(offsets).catch(() => (this.recommitPending = true));
    });
  }

  private serializedCommit<T>(task: () => Promise<T>): Promise<T> {
    const result = this.commitQueue.then(task);
    this.commitQueue = result.catch(() => undefined);
    return result;
  }

  /** Delivers one batch until every record is committed, after success or the on-failure destination. */
  private async deliver(records: SourceRecord[], taken: PartitionState[]): Promise<void> {
    const work: WorkItem[] = [{ records, retries: 0 }];
    try {
      for (let item = work[0]; item; item = work[0]) {
        if (!this.running) throw new MappingStopped();
        work.splice(0, 1, ...(await this.attempt(item)));
      }
    } catch (error) {
      // Unsettled records go back to the front of their partitions, in order, to be delivered again
      // (some of the first item may already be committed: at-least-once, the handlers dedupe).
      if (!(error instanceof MappingStopped)) {
        this.emit({ type: 'delivery-error', records: records.length, message: messageOf(error) });
        await sleep(this.options.retryBackoffMs ?? 100);
      }
      for (const state of taken) {
        const own = work
          .flatMap((item) => item.records)
          .filter((record) => record.topic === state.topic && record.partition === state.partition);
        state.buffer.unshift(...own);
      }
    }
  }

  /** One invocation of a work item, or none if it expired; returns the work it leaves. */
  private async attempt({ records, retries }: WorkItem): Promise<WorkItem[]> {
    const { fresh, expired } = this.splitExpired(records);
    if (expired.length > 0) await this.settleFailed(expired, 'RecordAgeExceeded', retries);
    if (fresh.length === 0) return [];
    const event = buildMskEvent(fresh, this.options.source);
    if (
      fresh.length === 1 &&
      Buffer.byteLength(JSON.stringify(event)) > MAX_INVOCATION_PAYLOAD_BYTES
    ) {
      await this.settleFailed(fresh, 'MaximumPayloadSizeExceeded', 0);
      return [];
    }
    if (retries > 0) await sleep((this.options.retryBackoffMs ?? 100) * retries);
    let outcome: BatchOutcome;
    try {
      const response = await this.options.target(event);
      outcome = this.controls.reportBatchItemFailures
        ? interpretBatchResponse(response, fresh)
        : { kind: 'success' };
      if (outcome.kind === 'malformed')
        throw new Error(`malformed batch response: ${outcome.reason}`);
    } catch (error) {
      this.emit({ type: 'function-error', records: fresh.length, message: messageOf(error) });
      if (this.controls.bisectBatchOnFunctionError && fresh.length > 1) {
        const middle = Math.ceil(fresh.length / 2);
        return [
          { records: fresh.slice(0, middle), retries },
          { records: fresh.slice(middle), retries },
        ];
      }
      return this.retryOrGiveUp(fresh, retries);
    }
    if (outcome.kind === 'success') {
      await this.commit(fresh);
      return [];
    }
    const failedFrom = outcome.firstFailedOffset;
    const failed = Object.fromEntries(Array.from(failedFrom, ([key, at]) => [key, String(at)]));
    this.emit({ type: 'partial-failure', failed });
    const isRetried = (record: SourceRecord): boolean => {
      const first = failedFrom.get(topicPartitionKey(record));
      return first !== undefined && record.offset >= first;
    };
    const settled = fresh.filter((record) => !isRetried(record));
    const retried = fresh.filter(isRetried);
    await this.commit(settled, retried);
    return this.retryOrGiveUp(retried, retries);
  }

  private async retryOrGiveUp(records: SourceRecord[], retries: number): Promise<WorkItem[]> {
    const max = this.controls.maximumRetryAttempts;
    if (max < 0 || retries < max) return [{ records, retries: retries + 1 }];
    await this.settleFailed(records, 'RetryAttemptsExhausted', retries + 1);
    return [];
  }

  /** Per partition, the leading records older than MaximumRecordAgeInSeconds. */
  private splitExpired(records: SourceRecord[]) {
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

  /** Commits past records after writing each, keyed by its own key, to the on-failure destination. */
  private async settleFailed(
    records: SourceRecord[],
    condition: FailureCondition,
    invokeCount: number,
  ): Promise<void> {
    const destination = this.controls.onFailureTopic;
    if (destination && this.producer && records.length > 0) {
      // The options carry the event source and function ARN the records name.
      const built = buildOnFailureMessages({ ...this.options, records, condition, invokeCount });
      const messages = built.map(({ key, value }) => ({ key, value: JSON.stringify(value) }));
      await this.producer.send({ topic: destination, acks: -1, messages });
    }
    this.emit({ type: 'on-failure', condition, records: records.length, destination });
    await this.commit(records);
  }

  /** Per partition: the offset after the last settled record, or the first one to retry. */
  private commit(settled: SourceRecord[], retried: SourceRecord[] = []): Promise<void> {
    return this.serializedCommit(async () => {
      const next = new Map<string, CommittedOffset>();
      const at = ({ topic, partition }: SourceRecord, offset: bigint): void => {
        next.set(topicPartitionKey({ topic, partition }), { topic, partition, offset });
      };
      for (const record of settled) at(record, record.offset + 1n);
      for (const record of [...retried].reverse()) at(record, record.offset);
      const offsets = [...next].filter(
        ([key, entry]) => (this.committed.get(key)?.offset ?? -1n) < entry.offset,
      );
      if (offsets.length === 0) return;
      await this.sendCommit(offsets);
      for (const [key, entry] of offsets) this.committed.set(key, entry);
    });
  }

  private async sendCommit(offsets: [string, CommittedOffset][]): Promise<void> {
    await this.consumer.commitOffsets(
      offsets.map(([, entry]) => ({ ...entry, offset: String(entry.offset) })),
    );
    const sent = Object.fromEntries(offsets.map(([key, entry]) => [key, String(entry.offset)]));
    this.emit({ type: 'commit', offsets: sent });
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
