import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

/** `__consumer_offsets` partitions: fewer than Kafka's 50, less to load at start (all probed). */
export const offsetsTopicPartitions = 10;

export interface KafkaLayout {
  dir: string;
  port: number;
  controllerPort: number;
}

export function kafkaServerProperties(layout: KafkaLayout): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${layout.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${layout.port},CONTROLLER://127.0.0.1:${layout.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${layout.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(layout.dir, 'data')}`,
    'num.partitions=1',
    `offsets.topic.num.partitions=${offsetsTopicPartitions}`,
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics come from provisionPipelineResources or the tests, as on MSK; a typo must fail.
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

function log4jConfig(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = %d{ISO8601} %-5p [%c] %m%n',
    'rootLogger.level = WARN',
    'rootLogger.appenderRef.file.ref = file',
    '',
  ].join('\n');
}

/** Writes server.properties and the log4j2 config; returns the JVM arguments to run the broker. */
export function prepareKafka(layout: KafkaLayout, jarDir: string) {
  mkdirSync(layout.dir, { recursive: true });
  const propertiesFile = join(layout.dir, 'server.properties');
  const log4jProperties = join(layout.dir, 'log4j2.properties');
  const log4jFile = join(layout.dir, 'kafka-server.log');
  writeFileSync(propertiesFile, kafkaServerProperties(layout));
  writeFileSync(log4jProperties, log4jConfig(log4jFile));
  const common = [
    `-Dlog4j2.configurationFile=${log4jProperties}`,
    '-Djava.awt.headless=true',
    '-cp',
    join(jarDir, '*'),
  ];
  const format = ['kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c'];
  return {
    formatArgs: [...common, ...format, propertiesFile],
    runArgs: ['-Xmx512m', ...common, 'kafka.Kafka', propertiesFile],
    log4jFile,
  };
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding. Like Kafka's own Uuid, never
 * one starting with '-', which the storage tool's argument parser would take for an option.
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Java's String.hashCode, which Kafka uses to map a group id to a `__consumer_offsets` partition. */
export function javaStringHash(value: string): number {
  let hash = 0;
  for (let index = 0; index < value.length; index += 1) {
    hash = (Math.imul(31, hash) + value.charCodeAt(index)) | 0;
  }
  return hash;
}

function offsetsPartitionFor(groupId: string): number {
  const hash = javaStringHash(groupId);
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % offsetsTopicPartitions;
}

/** One probe group id per `__consumer_offsets` partition, so every group coordinator gets asked. */
export function probeGroupIds(): string[] {
  const byPartition = new Map<number, string>();
  for (let index = 0; byPartition.size < offsetsTopicPartitions; index += 1) {
    const groupId = `local-stack-probe-${index}`;
    const partition = offsetsPartitionFor(groupId);
    if (!byPartition.has(partition)) byPartition.set(partition, groupId);
  }
  return [...byPartition.values()];
}

/**
 * One readiness attempt: metadata, an OffsetFetch from every group coordinator and a producer id.
 * Right after start those answer "coordinator is loading", which kafkajs logs as errors.
 */
export async function probeKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'local-stack-health',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    await Promise.all(probeGroupIds().map((groupId) => admin.fetchOffsets({ groupId })));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  // connect() of an idempotent producer sends InitProducerId. kafkajs refuses an idempotent
  // producer without retries, so this one gets a few despite the client-wide `retries: 0`.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 2 },
  });
  await producer.connect().finally(() => producer.disconnect().catch(() => undefined));
}
