import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { functionNames } from '../shared/pipeline';
import { defaultSleep } from '../shared/retry';
import type { MockRequest, MockResponse } from './http-types';
import { errorResponse } from './http-types';
import { MockState } from './mock-state';
import { routeRequest } from './router';
import type { MockSettings } from './settings';

export type MockApi = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface MockApiDeps {
  settings: MockSettings;
  logger?: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface MockApiInstance {
  handle: MockApi;
  state: MockState;
}

/** Function URL event (payload 2.0) → transport-neutral request. */
export function toMockRequest(event: APIGatewayProxyEventV2): MockRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value;
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath || '/',
    query: { ...(event.queryStringParameters ?? {}) },
    headers,
    body,
  };
}

/**
 * Builds one mock instance: its state plus a Function-URL handler over it. handler.ts makes one
 * per container; the local server makes one per server.
 */
export function createMockApi(deps: MockApiDeps): MockApiInstance {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? new Logger({ serviceName: functionNames.mockApis });
  const state = new MockState(deps.settings.dataset, now(), deps.settings.faults);
  const handle: MockApi = async (event) => {
    const started = performance.now();
    let response: MockResponse;
    let request: MockRequest | undefined;
    try {
      request = toMockRequest(event);
      response = await routeRequest(request, { state, now, sleep: deps.sleep ?? defaultSleep });
    } catch (error) {
      // Bodies may hold e-mail addresses: log the error's name and message only, never the request.
      logger.error('Unhandled error', {
        errorName: (error as Error).name,
        errorMessage: (error as Error).message,
      });
      response = errorResponse(500, 'INTERNAL', 'Internal error');
    }
    logger.info('request', {
      method: request?.method,
      path: request?.path,
      status: response.status,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
    });
    const { status: statusCode, headers, body } = response;
    return { statusCode, headers, body, isBase64Encoded: false };
  };
  return { handle, state };
}
