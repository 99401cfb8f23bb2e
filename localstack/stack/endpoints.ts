import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';

/** Where the local servers listen; what integration tests receive from the global setup. */
export const StackEndpointsSchema = z.object({
  kafkaBrokers: z.string(),
  dynamodbEndpoint: z.string(),
  s3Endpoint: z.string(),
  region: z.string(),
});
export type StackEndpoints = z.infer<typeof StackEndpointsSchema>;

/** Dummy credentials: the local servers accept any, but the AWS SDK refuses to sign without. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** A client of the local S3Mock (path-style: buckets are not subdomains of 127.0.0.1). */
export function localS3Client({ s3Endpoint: endpoint, region }: StackEndpoints): S3Client {
  return new S3Client({ endpoint, region, credentials: localCredentials, forcePathStyle: true });
}

/** The env vars that point the AWS SDK and the project's Kafka config at the local servers. */
export function stackEnv(endpoints: StackEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
  };
}

declare module 'vitest' {
  // What `localstack/stack/global-setup.ts` provides to every integration test file (and only to
  // those: unit test files see undefined).
  export interface ProvidedContext {
    localStack?: StackEndpoints;
  }
}
