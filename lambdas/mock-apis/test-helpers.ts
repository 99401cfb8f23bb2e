import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { MockApiInstance } from './app';
import { createMockApi } from './app';
import type { DatasetOptions } from './dataset';
import type { FaultSettings } from './faults';
import { CRM_NS, SOAP_ENVELOPE_NS } from './soap';

/** Test-only helpers: a mock instance on a controllable clock, and v2 events built by hand. */
export interface TestApi extends MockApiInstance {
  clock: { ms: number };
  sleeps: number[];
  /** Time spent inside the handler, summed over every call (server time, no client parsing). */
  handlerMs: { total: number };
  call(
    method: string,
    path: string,
    options?: {
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
      json?: unknown;
    },
  ): Promise<{ status: number; headers: Record<string, string>; text: string; json: unknown }>;
}

export const silentLogger = (): Logger =>
  new Logger({ serviceName: 'mock-apis-test', logLevel: 'SILENT' });

export function testApi(
  dataset: Partial<DatasetOptions> = {},
  faults: FaultSettings = {},
): TestApi {
  const clock = { ms: Date.parse('2026-01-01T00:00:00.000Z') };
  const sleeps: number[] = [];
  const handlerMs = { total: 0 };
  const api = createMockApi({
    settings: {
      dataset: { seed: 7, customers: 100, products: 50, driftPerMinute: 0, ...dataset },
      faults,
    },
    logger: silentLogger(),
    now: () => clock.ms,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return {
    ...api,
    clock,
    sleeps,
    handlerMs,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      const started = performance.now();
      const result = await api.handle(v2Event(method, path, options.query, headers, body));
      handlerMs.total += performance.now() - started;
      const text = result.body ?? '';
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return {
        status: result.statusCode ?? 0,
        headers: (result.headers ?? {}) as Record<string, string>,
        text,
        json,
      };
    },
  };
}

export function v2Event(
  method: string,
  path: string,
  query: Record<string, string> | undefined,
  headers: Record<string, string>,
  body: string | undefined,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers,
    queryStringParameters: query,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'test',
      domainName: 'test.lambda-url.local',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

interface PageBody {
  items: { id: string; updatedAt: string }[];
  nextCursor: string | null;
}

/** Pages through one entity and returns every item in order plus the page count. */
export async function pageThrough(
  api: TestApi,
  path: string,
  query: Record<string, string> = {},
): Promise<{ items: PageBody['items']; pages: number }> {
  const items: PageBody['items'] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await api.call('GET', path, {
      query: { ...query, ...(cursor ? { cursor } : {}) },
    });
    if (response.status !== 200)
      throw new Error(`page ${pages} answered ${response.status}: ${response.text}`);
    const page = response.json as PageBody;
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

/** An AddCustomer request, as a SOAP client would send it. */
export function addCustomerRequestXml(name: string, email: string): string {
  const entities: Record<string, string> = {
    '<': 'lt',
    '>': 'gt',
    '&': 'amp',
    "'": 'apos',
    '"': 'quot',
  };
  const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&${entities[c] ?? ''};`);
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NS}" xmlns:crm="${CRM_NS}"><soap:Body><crm:AddCustomer><crm:name>${escape(name)}</crm:name><crm:email>${escape(email)}</crm:email></crm:AddCustomer></soap:Body></soap:Envelope>`;
}
