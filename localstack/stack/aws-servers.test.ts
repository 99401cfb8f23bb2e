import { describe, expect, it } from 'vitest';
import { dynamodbArgs, s3mockArgs } from './aws-servers';

const s3mock = {
  jarDir: '/jars',
  version: '4.0.0',
  httpPort: 9090,
  httpsPort: 9191,
  storeRoot: '/store',
  retainStore: false,
};

describe('JVM profiles of the emulators', () => {
  it('starts both with C1-only JIT by default (quick start for tests)', () => {
    expect(dynamodbArgs('/jars', 8000)).toContain('-XX:TieredStopAtLevel=1');
    expect(s3mockArgs(s3mock)).toContain('-XX:TieredStopAtLevel=1');
  });

  it('leaves the full JIT on for throughput runs, with JVM flags before the main class', () => {
    const dynamodb = dynamodbArgs('/jars', 8000, undefined, 'throughput');
    expect(dynamodb).not.toContain('-XX:TieredStopAtLevel=1');
    expect(dynamodb.indexOf('-XX:+UseSerialGC')).toBeLessThan(
      dynamodb.indexOf('LoopbackServerRunner'),
    );
    const s3 = s3mockArgs({ ...s3mock, jvm: 'throughput' });
    expect(s3).not.toContain('-XX:TieredStopAtLevel=1');
    expect(s3.indexOf('-XX:+UseSerialGC')).toBeLessThan(s3.indexOf('-jar'));
  });

  it('binds both to loopback: DynamoDB through its launcher, both S3Mock connectors by address', () => {
    expect(dynamodbArgs('/jars', 8000)).toContain('LoopbackServerRunner');
    const s3 = s3mockArgs(s3mock);
    expect(s3).toContain('--server.address=127.0.0.1');
    expect(s3.find((arg) => arg.startsWith('--spring.main.sources=file:'))).toMatch(
      /loopback\.xml$/,
    );
  });
});
