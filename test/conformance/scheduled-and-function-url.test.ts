import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseInvokeEvent } from '../../lambdas/flush/commands';
import { toFunctionUrlEvent } from '../../lambdas/mock-apis/local-server';
import { testApi } from '../../lambdas/mock-apis/test-helpers';
import { parsePollRequest } from '../../lambdas/poller/poll-request';
import { scheduledEvent } from '../../localstack/runtime/scheduler';
import type { RepoFixtureName } from './repo-fixtures';
import { loadRepoFixture } from './repo-fixtures';

const JsonObject = z.record(z.string(), z.unknown());

/** The scheduled-event and Function URL parts of the corpus (sources in README.md here). */
function corpus(
  dir: string,
  fromRepos: RepoFixtureName[],
): { file: string; event: Record<string, unknown>; unavailable?: string }[] {
  const base = new URL(`./${dir}/`, import.meta.url);
  const committed = (existsSync(base) ? readdirSync(base) : [])
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({
      file,
      event: JsonObject.parse(JSON.parse(readFileSync(new URL(file, base), 'utf8'))),
    }));
  const loaded = fromRepos.map((name) => {
    const fixture = loadRepoFixture(name);
    return fixture.available
      ? { file: name, event: JsonObject.parse(fixture.json) }
      : { file: name, event: {}, unavailable: fixture.reason };
  });
  return [...committed, ...loaded];
}

/** it.each that skips, saying what to place where, the fixtures that are not available here. */
function eachOf<T extends { file: string; unavailable?: string }>(
  list: T[],
  title: string,
  test: (entry: T) => unknown,
): void {
  for (const entry of list)
    it.skipIf(entry.unavailable !== undefined)(
      `${entry.file} ${title}${entry.unavailable ? ` (${entry.unavailable})` : ''}`,
      () => test(entry),
    );
}

const scheduled = corpus('scheduled', ['aws-lambda-go-scheduled-event']);
const functionUrl = corpus('function-url', [
  'aws-lambda-go-lambda-urls-request',
  'powertools-typescript-parser-lambda-base',
]);

describe('EventBridge scheduled events (corpus scheduled/)', () => {
  it('has the fixtures', () => expect(scheduled.length).toBeGreaterThanOrEqual(1));

  eachOf(scheduled, 'starts a scheduled poll and a flush', ({ event }) => {
    expect(parsePollRequest(event)).toEqual({ kind: 'scheduled' });
    expect(parseInvokeEvent(event)).toEqual({ action: 'flush' });
  });

  eachOf(scheduled, 'is what the local scheduler sends, field by field', ({ event }) => {
    const local = scheduledEvent({
      ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/SampleRule',
      region: 'us-east-1',
      account: '123456789012',
    }) as unknown as Record<string, unknown>;
    expect(Object.keys(local).sort()).toEqual(Object.keys(event).sort());
    for (const key of Object.keys(event)) {
      expect(typeof local[key], key).toBe(typeof event[key]);
    }
    for (const key of ['version', 'detail-type', 'source', 'account', 'region', 'detail']) {
      expect(local[key], key).toEqual(event[key]);
    }
    // Whole seconds, as the fixture's `time` is written.
    expect(local.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('Function URL events, payload format 2.0 (corpus function-url/)', () => {
  it('has the fixtures', () => expect(functionUrl.length).toBeGreaterThanOrEqual(3));

  const send = async (event: APIGatewayProxyEventV2) => {
    const result = await testApi({ customers: 5 }).handle(event);
    // What Lambda maps back to HTTP: a status, string headers, a string body.
    expect(typeof result.statusCode).toBe('number');
    for (const value of Object.values(result.headers ?? {})) expect(typeof value).toBe('string');
    expect(typeof result.body).toBe('string');
    return { status: result.statusCode, json: JSON.parse(result.body ?? '') as unknown };
  };
  const at = (
    event: Record<string, unknown>,
    method: string,
    path: string,
    query?: Record<string, string>,
  ): APIGatewayProxyEventV2 => {
    const copy = structuredClone(event) as unknown as APIGatewayProxyEventV2;
    copy.rawPath = path;
    copy.requestContext.http.method = method;
    copy.requestContext.http.path = path;
    if (query) {
      copy.queryStringParameters = query;
      copy.rawQueryString = new URLSearchParams(query).toString();
    }
    return copy;
  };

  eachOf(functionUrl, 'as AWS sends it: a JSON 404, not a crash', async ({ event }) => {
    const { status, json } = await send(event as unknown as APIGatewayProxyEventV2);
    expect(status).toBe(404);
    expect(json).toHaveProperty('error', expect.any(Object));
  });

  eachOf(functionUrl, 're-aimed at GET /crm/customers: a page', async ({ event }) => {
    const { status, json } = await send(at(event, 'GET', '/crm/customers', { limit: '2' }));
    expect(status).toBe(200);
    expect((json as { items: unknown[] }).items).toHaveLength(2);
  });

  eachOf(
    functionUrl,
    'body (text, or null) posted to /analytics/data: a 4xx, not a 500',
    async ({ event }) => {
      const { status } = await send(at(event, 'POST', '/analytics/data'));
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    },
  );
});

describe('the local server builds the Function URL event AWS sends (local-server.ts)', () => {
  const sample = functionUrl.find((entry) => entry.file === 'aws-docs-request-payload.json');
  /** The docs sample's request, sent as raw HTTP (header2 twice), as toFunctionUrlEvent sees it. */
  const localEvent = (): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const server = createServer((request, response) => {
        const url = new URL(`http://localhost${request.url ?? '/'}`);
        resolve({ ...toFunctionUrlEvent(request, url, Buffer.from('Hello from client!')) });
        response.end();
        server.close();
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        const socket = connect(port, '127.0.0.1', () => {
          socket.end(
            'POST /my/path?parameter1=value1&parameter1=value2&parameter2=value HTTP/1.1\r\n' +
              'Host: x\r\nheader1: value1\r\nheader2: value1\r\nheader2: value2\r\n' +
              'Content-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\n' +
              'Hello from client!',
          );
        });
        socket.on('error', () => undefined);
      });
    });
  const object = (value: unknown) => value as Record<string, unknown>;
  /** What AWS "sets to null or excludes" (aws-lambda-go's fixture leaves them out), or sends only with cookies or IAM auth. */
  const optional = ['cookies', 'pathParameters', 'stageVariables', 'authentication', 'authorizer'];
  const sameShape = (local: unknown, aws: unknown, at: string) => {
    const missing = Object.keys(object(aws)).filter(
      (key) => !(key in object(local)) && !optional.includes(key),
    );
    expect(missing, at).toEqual([]);
    for (const [key, value] of Object.entries(object(local))) {
      expect(typeof value, `${at}.${key}`).toBe(typeof object(aws)[key]);
    }
  };

  it.skipIf(!sample)(
    "has the docs sample's fields, types, comma joins and time format",
    async () => {
      const aws = object(sample?.event);
      const local = await localEvent();
      const context = (event: Record<string, unknown>) => object(event.requestContext);
      sameShape(local, aws, 'event');
      sameShape(context(local), context(aws), 'requestContext');
      sameShape(context(local).http, context(aws).http, 'requestContext.http');
      for (const key of ['version', 'routeKey', 'rawPath', 'rawQueryString', 'body']) {
        expect(local[key], key).toEqual(aws[key]);
      }
      expect(local.queryStringParameters).toEqual(aws.queryStringParameters);
      expect(local.headers).toMatchObject(object(aws.headers));
      expect(context(local).http).toMatchObject({ method: 'POST', path: '/my/path' });
      const clf = /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/;
      expect(context(aws).time).toMatch(clf);
      expect(context(local).time).toMatch(clf);
    },
  );
});
