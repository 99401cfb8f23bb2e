import type { MSKEvent } from 'aws-lambda';

/** A worker-hosted Kafka target for the mapping tests: answers with what it received. */
export async function handler(
  event: MSKEvent,
): Promise<{ batchItemFailures: []; received: string[] }> {
  const received = Object.values(event.records)
    .flat()
    .map((record) => Buffer.from(record.value, 'base64').toString('utf8'));
  return { batchItemFailures: [], received };
}
