import { z } from 'zod';
import { AnalyticsPayloadSchema } from '../shared/analytics-payload';
import type { EntityName } from './dataset';
import { MAX_RECORDS } from './dataset';
import { FaultSettingsSchema, injectFault } from './faults';
import type { MockRequest, MockResponse } from './http-types';
import { errorResponse, jsonResponse, MockApiError, parseOr400, readJsonBody } from './http-types';
import type { MockState } from './mock-state';
import { openApiDocument } from './openapi';
import { readPage } from './pagination';
import { addCustomerResponse, parseAddCustomer } from './soap';

interface RouterDeps {
  state: MockState;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

type RouteHandler = (request: MockRequest, deps: RouterDeps) => MockResponse;

export const ResetSchema = z.strictObject({
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  customers: z.number().int().min(0).max(MAX_RECORDS).optional(),
  products: z.number().int().min(0).max(MAX_RECORDS).optional(),
  driftPerMinute: z.number().min(0).max(1_000_000).optional(),
});

export const ChangeSchema = z.strictObject({
  entity: z.enum(['customers', 'products']),
  count: z.number().int().min(1).max(MAX_RECORDS),
});

/** At least one non-blank character; the key is stored trimmed. */
export const IdempotencyKeySchema = z.string().regex(/\S/);

export const ReceivedQuerySchema = z.object({
  eventType: z.enum(['CUSTOMER', 'PRODUCT']),
  id: z.string().min(1),
});

/** A route taking a JSON body that `schema` accepts (else 400/415, as readJsonBody says). */
function withBody<S extends z.ZodType>(
  schema: S,
  handle: (body: z.output<S>, deps: RouterDeps) => unknown,
  allowEmpty = false,
): RouteHandler {
  return (request, deps) =>
    jsonResponse(
      200,
      handle(parseOr400(schema, readJsonBody(request, allowEmpty), 'INVALID_BODY'), deps),
    );
}

const listRecords =
  (entity: EntityName): RouteHandler =>
  (request, { state, now }) => {
    state.dataset.applyDrift(now());
    return jsonResponse(200, readPage(state.dataset, entity, request.query));
  };

const changeRecords = (kind: 'mutate' | 'corrupt'): RouteHandler =>
  withBody(ChangeSchema, ({ entity, count }, { state, now }) => {
    state.dataset.applyDrift(now());
    return { ids: state.dataset.change(entity, count, now(), kind) };
  });

const postAnalyticsData: RouteHandler = (request, { state, now }) => {
  const key = IdempotencyKeySchema.safeParse(request.headers['idempotency-key']);
  if (!key.success) {
    throw new MockApiError(
      400,
      'MISSING_IDEMPOTENCY_KEY',
      'The Idempotency-Key header is required',
    );
  }
  const payload = parseOr400(AnalyticsPayloadSchema, readJsonBody(request), 'INVALID_PAYLOAD');
  const { duplicate } = state.analytics.accept(key.data.trim(), payload, new Date(now()));
  return jsonResponse(200, { accepted: true, duplicate });
};

const getReceived: RouteHandler = (request, { state }) => {
  const { eventType, id } = parseOr400(ReceivedQuerySchema, request.query, 'INVALID_QUERY');
  const record = state.analytics.getRecord(eventType, id);
  if (!record) throw new MockApiError(404, 'NOT_RECEIVED', 'No such record was received');
  return jsonResponse(200, record);
};

const ok =
  (answer: (state: MockState) => unknown): RouteHandler =>
  (_request, { state }) =>
    jsonResponse(200, answer(state));

const routes: Record<string, Partial<Record<string, RouteHandler>>> = {
  '/crm/customers': { GET: listRecords('customers') },
  '/inventory/products': { GET: listRecords('products') },
  '/crm/soap': {
    POST: (request, { state, now }) => {
      const customer = parseAddCustomer(request);
      const added = { ...customer, createdDate: new Date(now()).toISOString() };
      return addCustomerResponse(state.dataset.stores.customers.add(added, now()));
    },
  },
  '/analytics/data': { POST: postAnalyticsData },
  '/analytics/stats': { GET: ok((state) => state.analytics.getStats()) },
  '/analytics/received': { GET: getReceived },
  '/openapi.json': { GET: ok(() => openApiDocument()) },
  '/admin/reset': {
    POST: withBody(ResetSchema, (options, { state, now }) => state.reset(options, now()), true),
  },
  '/admin/mutate': { POST: changeRecords('mutate') },
  '/admin/corrupt': { POST: changeRecords('corrupt') },
  '/admin/faults': {
    GET: ok((state) => state.faults),
    PUT: withBody(FaultSettingsSchema, (faults, { state }) => state.setFaults(faults)),
    DELETE: ok((state) => state.setFaults({})),
  },
};

/** Answers one request: route lookup, injected faults, then the route itself. */
export async function routeRequest(request: MockRequest, deps: RouterDeps): Promise<MockResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const methods = routes[path];
  if (!methods) return errorResponse(404, 'NOT_FOUND', `No route ${request.path}`);
  const handle = methods[request.method.toUpperCase()];
  if (!handle) {
    const allow = Object.keys(methods).join(', ');
    const message = `${request.method} is not allowed here; use ${allow}`;
    return errorResponse(405, 'METHOD_NOT_ALLOWED', message, {}, { allow });
  }
  const injected = await injectFault(deps.state, path, deps.now(), deps.sleep);
  if (injected) return injected;
  try {
    return handle(request, deps);
  } catch (error) {
    if (error instanceof MockApiError) return error.response();
    throw error;
  }
}
