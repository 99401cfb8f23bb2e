import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

/** Test fixture: one DynamoDB PutItem against FIXTURE_ENDPOINT per invocation. */
const client = new DynamoDBClient({
  endpoint: process.env.FIXTURE_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

export async function handler(): Promise<string> {
  await client.send(new PutItemCommand({ TableName: 'claims', Item: { id: { S: 'v1' } } }));
  return 'put';
}
