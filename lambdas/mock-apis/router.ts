import { z } from 'zod';
import { AnalyticsPayloadSchema } from '../shared/analytics-payload';
import type { EntityName } from './dataset';
import { MAX_RECORDS } from './dataset';
import { decideFault, FaultSettingsSchema, faultRouteOf, tallyFault } from './faults';
import type { MockRequest, MockResponse } from './http-types';
import { errorResponse, jsonResponse, readJsonBody } from './http-types';
import type { MockState } from './mock-state';
import { openApiDocument } from './openapi';
import { PageQueryError, readPage } from './pagination';
import { addCustomerResponse, parseAddCustomer, SoapFault, soapFaultResponse } from './soap';

export interface RouterDeps {
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

/** A route taking a JSON body that `schema` accepts (else 400/415, as readJsonBody says). */
function withBody<S extends z.ZodType>(
  schema: S,
  handle: (body: z.output<S>, deps: RouterDeps) => MockResponse,
  allowEmpty = false,
): RouteHandler {
  return (request, deps) => {
    const body = readJsonBody(request, allowEmpty);
    if (!body.ok) return body.response;
    const parsed = schema.safeParse(body.value);
    if (parsed.success) return handle(parsed.data, deps);
    const { issues } = parsed.error;
    return errorResponse(400, 'INVALID_BODY', z.prettifyError(parsed.error), { issues });
  };
}

function listRecords(entity: EntityName): RouteHandler {
  return (request, { state, now }) => {
    state.dataset.applyDrift(now());
    try {
      return jsonResponse(200, readPage(state.dataset, entity, request.query));
    } catch (error) {
      if (error instanceof PageQueryError) return errorResponse(400, error.code, error.message);
      throw error;
    }
  };
}

function changeRecords(kind: 'mutate' | 'corrupt'): RouteHandler {
  return withBody(ChangeSchema, ({ entity, count }, { state, now }) => {
    state.dataset.applyDrift(now());
    return jsonResponse(200, { ids: state.dataset.change(entity, count, now(), kind) });
  });
}

/** At least one non-blank character; the key is stored trimmed. */
export const IdempotencyKeySchema = z.string().regex(/\S/);

const postAnalyticsData: RouteHandler = (request, { state, now }) => {
  const header = IdempotencyKeySchema.safeParse(request.headers['idempotency-key']);
  if (!header.success)
    return errorResponse(400, 'MISSING_IDEMPOTENCY_KEY', 'The Idempotency-Key header is required');
  const key = header.data.trim();
  const body = readJsonBody(request);
  if (!body.ok) return body.response;
  const payload = AnalyticsPayloadSchema.safeParse(body.value);
  if (!payload.success) {
    return errorResponse(400, 'INVALID_PAYLOAD', z.prettifyError(payload.error), {
      issues: payload.error.issues,
    });
  }
  const result = state.analytics.accept(key, payload.data, new Date(now()));
  return jsonResponse(200, { accepted: true, duplicate: result.duplicate });
};

export const ReceivedQuerySchema = z.object({
  eventType: z.enum(['CUSTOMER', 'PRODUCT']),
  id: z.string().min(1),
});

const getReceived: RouteHandler = (request, { state }) => {
  const query = ReceivedQuerySchema.safeParse(request.query);
  if (!query.success) return errorResponse(400, 'INVALID_QUERY', z.prettifyError(query.error));
  const record = state.analytics.getRecord(query.data.eventType, query.data.id);
  return record
    ? jsonResponse(200, record)
    : errorResponse(404, 'NOT_RECEIVED', 'No such record was received');
};

const postSoap: RouteHandler = (request, { state, now }) => {
  try {
    const customer = parseAddCustomer(request);
    return addCustomerResponse(state.dataset.addCustomer(customer, now()));
  } catch (error) {
    if (error instanceof SoapFault) return soapFaultResponse(error);
    throw error;
  }
};

const routes: Record<string, Partial<Record<string, RouteHandler>>> = {
  '/crm/customers': { GET: listRecords('customers') },
  '/inventory/products': { GET: listRecords('products') },
  '/crm/soap': { POST: postSoap },
  '/analytics/data': { POST: postAnalyticsData },
  '/analytics/stats': {
    GET: (_request, { state }) => jsonResponse(200, state.analytics.getStats()),
  },
  '/analytics/received': { GET: getReceived },
  '/openapi.json': { GET: () => jsonResponse(200, openApiDocument()) },
  '/admin/reset': {
    POST: withBody(
      ResetSchema,
      (options, { state, now }) => jsonResponse(200, state.reset(options, now())),
      true,
    ),
  },
  '/admin/mutate': { POST: changeRecords('mutate') },
  '/admin/corrupt': { POST: changeRecords('corrupt') },
  '/admin/faults': {
    GET: (_request, { state }) => jsonResponse(200, state.faults),
    PUT: withBody(FaultSettingsSchema, (faults, { state }) => {
      state.setFaults(faults);
      return jsonResponse(200, state.faults);
    }),
    DELETE: (_request, { state }) => {
      state.setFaults({});
      return jsonResponse(200, state.faults);
    },
  },
};

/** Answers one request: route lookup, injected faults, then the route itself. */
export async function routeRequest(request: MockRequest, deps: RouterDeps): Promise<MockResponse> {
  const methods = routes[request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path];
  if (!methods) return errorResponse(404, 'NOT_FOUND', `No route ${request.path}`);
  const handle = methods[request.method.toUpperCase()];
  if (!handle) {
    const allow = Object.keys(methods).join(', ');
    return errorResponse(
      405,
      'METHOD_NOT_ALLOWED',
      `${request.method} is not allowed here; use ${allow}`,
      {},
      { allow },
    );
  }
  const faultRoute = faultRouteOf(request.path);
  if (faultRoute) {
    const fault = decideFault(deps.state.faults, faultRoute, deps.now(), deps.state.faultRandom);
    tallyFault(deps.state.faultTally[faultRoute], fault);
    if (fault.latencyMs > 0) await deps.sleep(fault.latencyMs);
    if (fault.kind === 'error') {
      return errorResponse(
        fault.status,
        'INJECTED_FAULT',
        `Injected ${fault.status} on ${faultRoute}`,
      );
    }
    if (fault.kind !== 'pass') {
      const retryAfter = { 'retry-after': String(fault.retryAfterSeconds) };
      return fault.kind === 'outage'
        ? errorResponse(503, 'OUTAGE', `${faultRoute} is down (injected outage)`, {}, retryAfter)
        : errorResponse(429, 'RATE_LIMITED', 'Too many requests (injected)', {}, retryAfter);
    }
  }
  return handle(request, deps);
}
