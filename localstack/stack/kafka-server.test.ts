import { describe, expect, it } from 'vitest';
import {
  javaStringHash,
  kafkaServerProperties,
  offsetsTopicPartitions,
  probeGroupIds,
  randomClusterId,
} from './kafka-server';

describe('javaStringHash', () => {
  it("matches Java's String.hashCode, including overflow", () => {
    // Values from `"...".hashCode()` in a JVM.
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('ecom-sync-merge-consumer')).toBe(
      javaReference('ecom-sync-merge-consumer'),
    );
  });
});

// Independent BigInt reimplementation of Java's int arithmetic, to cross-check the Math.imul one.
function javaReference(value: string): number {
  let hash = 0n;
  for (const char of value) hash = BigInt.asIntN(32, hash * 31n + BigInt(char.charCodeAt(0)));
  return Number(hash);
}

describe('probeGroupIds', () => {
  it('covers every __consumer_offsets partition exactly once', () => {
    const partitions = probeGroupIds().map(
      (groupId) => Math.abs(javaStringHash(groupId)) % offsetsTopicPartitions,
    );
    expect(new Set(partitions).size).toBe(offsetsTopicPartitions);
    expect(partitions).toHaveLength(offsetsTopicPartitions);
  });
});

describe('randomClusterId', () => {
  it('is 22 base64url characters and never starts with a dash', () => {
    for (let attempt = 0; attempt < 2_000; attempt += 1) {
      const id = randomClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});

describe('kafkaServerProperties', () => {
  it('binds broker and controller to loopback on the given ports and disables topic auto-creation', () => {
    const properties = kafkaServerProperties({ dir: '/tmp/k', port: 19092, controllerPort: 19093 });
    expect(properties).toContain(
      'listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
    expect(properties).toContain('advertised.listeners=PLAINTEXT://127.0.0.1:19092');
    expect(properties).toContain('controller.quorum.voters=1@127.0.0.1:19093');
    expect(properties).toContain('log.dirs=/tmp/k/data');
    expect(properties).toContain('auto.create.topics.enable=false');
  });
});
