import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { functionNames } from '../shared/pipeline';
import { defaultSleep } from '../shared/retry';
import type { MockResponse } from './http-types';
import { errorResponse } from './http-types';
import { MockState } from './mock-state';
import { routeRequest } from './router';
import type { MockSettings } from './settings';

export type MockApi = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
export type MockApiInstance = ReturnType<typeof createMockApi>;

/** One mock instance: its state and a Function-URL handler (payload 2.0) over it. */
export function createMockApi(deps: {
  settings: MockSettings;
  logger?: Logger | undefined;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}) {
  const { now = Date.now, sleep = defaultSleep } = deps;
  const logger = deps.logger ?? new Logger({ serviceName: functionNames.mockApis });
  const state = new MockState(deps.settings.dataset, now(), deps.settings.faults);
  const handle: MockApi = async (event) => {
    const started = performance.now();
    const { method } = event.requestContext.http;
    const path = event.rawPath || '/';
    let response: MockResponse;
    try {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(event.headers))
        headers[name.toLowerCase()] = value;
      const body =
        event.body !== undefined && event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
      const query = { ...event.queryStringParameters };
      response = await routeRequest({ method, path, query, headers, body }, { state, now, sleep });
    } catch (error) {
      // Bodies may hold e-mail addresses: log the error's name and message only, never the request.
      const { name: errorName, message: errorMessage } = error as Error;
      logger.error('Unhandled error', { errorName, errorMessage });
      response = errorResponse(500, 'INTERNAL', 'Internal error');
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    logger.info('request', { method, path, status: response.status, latencyMs });
    const { status: statusCode, headers, body } = response;
    return { statusCode, headers, body, isBase64Encoded: false };
  };
  return { handle, state };
}
