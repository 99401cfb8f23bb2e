import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { parseEnv } from '../../../lambdas/shared/config';
import { createKafka, KafkaEnvSchema } from '../../../lambdas/shared/kafka';
import { ensureTopics, TopicSpecSchema } from './ensure-topics';

const env = parseEnv(KafkaEnvSchema);
const kafka = await createKafka(env);

const PropertiesSchema = z.object({ Topics: z.array(TopicSpecSchema).min(1) });

/** Physical id of the one topic set; constant so that updates never "replace" the topics. */
const PHYSICAL_ID = 'ecom-sync-topics';

/**
 * Provider-framework `onEvent` handler. Create and Update make the topics match; Delete keeps
 * them: their data outlives a stack update gone wrong, and they go with the cluster anyway.
 */
export async function handler(
  event: CloudFormationCustomResourceEvent,
): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const { Topics } = PropertiesSchema.parse(event.ResourceProperties);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const result = await ensureTopics(admin, Topics);
    console.log(JSON.stringify({ message: 'topics ensured', ...result }));
    return {
      PhysicalResourceId: PHYSICAL_ID,
      Data: { Created: result.created.join(','), Updated: result.updated.join(',') },
    };
  } finally {
    await admin.disconnect();
  }
}
