import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createMockApi } from './app';
import { mockSettingsFromEnv } from './settings';

/** One mock state per container, created at cold start; a Function URL keeps it warm in tests. */
const mockApi = createMockApi({ settings: mockSettingsFromEnv() });

export const handler = (
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => mockApi.handle(event);
