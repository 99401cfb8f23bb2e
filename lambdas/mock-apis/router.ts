import { z } from 'zod';
import { AnalyticsPayloadSchema, AnalyticsStatsSchema } from '../shared/analytics-payload';
import { CustomerSchema, DeletedRecordSchema, ProductSchema } from '../shared/records';
import type { EntityName } from './dataset';
import { DatasetOptionsSchema, entityNames, MAX_RECORDS } from './dataset';
import { FaultSettingsSchema, injectFault } from './faults';
import type { MockRequest, MockResponse } from './http-types';
import { errorResponse, jsonResponse, MockApiError, parseOr400, readJsonBody } from './http-types';
import type { MockState } from './mock-state';
import type { Operation } from './openapi';
import { openApiDocument } from './openapi';
import { PageParamsSchema, readPage } from './pagination';
import { addCustomerResponse, parseAddCustomer } from './soap';

interface RouterDeps {
  state: MockState;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

const ChangeSchema = z.strictObject({
  entity: z.enum(entityNames),
  count: z.number().int().min(1).max(MAX_RECORDS),
});
const DeleteSchema = z.union([
  ChangeSchema.extend({ hard: z.boolean().default(false) }),
  ChangeSchema.omit({ count: true }).extend({
    ids: z.array(z.string().min(1).max(128)).min(1).max(10_000),
    hard: z.boolean().default(false),
  }),
]);

/** At least one non-blank character; the key is stored trimmed. */
const IdempotencyKeySchema = z.string().regex(/\S/);

const ReceivedQuerySchema = z.object({
  eventType: z.enum(['CUSTOMER', 'PRODUCT']),
  id: z.string().min(1),
});

const SoftDeletedSchema = DeletedRecordSchema.extend({ updatedAt: z.iso.datetime() });
const PageSchema = (item: z.ZodType) =>
  z.object({
    items: z.array(z.union([item, SoftDeletedSchema])),
    nextCursor: z.string().nullable().describe('null on the last page'),
  });
const IdsSchema = z.object({ ids: z.array(z.string()) });

/** A handler and its OpenAPI operation (openapi.ts adds what every route shares). */
interface Route extends Operation {
  handle: (request: MockRequest, deps: RouterDeps) => MockResponse;
}

/** A route taking a JSON body that `schema` accepts (else 400/415, as readJsonBody says). */
function withBody<S extends z.ZodType>(
  schema: S,
  doc: Operation,
  handle: (body: z.output<S>, deps: RouterDeps) => unknown,
  required = true,
): Route {
  return {
    ...doc,
    body: { schema, required },
    handle: (request, deps) => {
      const body = parseOr400(schema, readJsonBody(request, !required), 'INVALID_BODY');
      return jsonResponse(200, handle(body, deps));
    },
  };
}

const answer = (doc: Operation, read: (state: MockState) => unknown): Route => ({
  ...doc,
  handle: (_request, { state }) => jsonResponse(200, read(state)),
});

const listRecords = (entity: EntityName, operationId: string, item: z.ZodType): Route => ({
  operationId,
  description: `A page of ${entity}, ordered by (updatedAt, id). Records changed by POST /admin/corrupt deliberately break this schema (the pipeline must send them to the DLQ). Records soft-deleted by POST /admin/delete are served as { id, deletedAt, updatedAt = deletedAt } in updatedSince pages only; a full sync (no updatedSince) does not list them, nor hard-deleted ones.`,
  query: PageParamsSchema,
  ok: [`A page of ${entity}`, PageSchema(item)],
  errors: { 400: 'Invalid limit, updatedSince or cursor' },
  handle: (request, { state, now }) => {
    state.dataset.applyDrift(now());
    return jsonResponse(200, readPage(state.dataset, entity, request.query));
  },
});

const changeRecords = (kind: 'mutate' | 'corrupt' | 'delete', description: string): Route =>
  withBody(
    kind === 'delete' ? DeleteSchema : ChangeSchema,
    { operationId: kind, description, ok: ['The ids of the changed records', IdsSchema] },
    (body, { state, now }) => {
      state.dataset.applyDrift(now());
      const which = 'ids' in body ? body.ids : body.count;
      const change = 'hard' in body && body.hard ? 'hard-delete' : kind;
      return { ids: state.dataset.change(body.entity, which, now(), change) };
    },
  );

const xml = { 'text/xml': { schema: { type: 'string' } } };

const routes: Record<string, Partial<Record<string, Route>>> = {
  '/crm/customers': { GET: listRecords('customers', 'listCustomers', CustomerSchema) },
  '/inventory/products': { GET: listRecords('products', 'listProducts', ProductSchema) },
  '/crm/soap': {
    POST: {
      operationId: 'soapAddCustomer',
      description:
        'SOAP 1.1 AddCustomer (namespace urn:ecom-sync:crm, children name and email). A request that is not SOAP (no SOAPAction header, or not text/xml) is a 400; a fault while processing a SOAP message travels with HTTP 500 (SOAP 1.1, section 6.2).',
      headers: { SOAPAction: z.string() },
      requestBody: { required: true, content: xml },
      errors: { 413: 'The body exceeds 6 MB' },
      responses: {
        200: { description: 'AddCustomerResponse with the new id', content: xml },
        400: { description: 'Not a SOAP request: a soap:Client fault', content: xml },
        500: { description: 'SOAP Fault (malformed XML, missing fields)', content: xml },
      },
      handle: (request, { state, now }) => {
        const customer = parseAddCustomer(request);
        const added = { ...customer, createdDate: new Date(now()).toISOString() };
        return addCustomerResponse(state.dataset.stores.customers.add(added, now()));
      },
    },
  },
  '/analytics/data': {
    POST: {
      operationId: 'postAnalyticsData',
      headers: { 'Idempotency-Key': IdempotencyKeySchema },
      body: { schema: AnalyticsPayloadSchema, required: true },
      ok: [
        'Accepted; duplicate = the Idempotency-Key was seen before (not stored again)',
        z.object({ accepted: z.literal(true), duplicate: z.boolean() }),
      ],
      handle: (request, { state, now }) => {
        const key = IdempotencyKeySchema.safeParse(request.headers['idempotency-key']).data;
        const message = 'The Idempotency-Key header is required';
        if (key === undefined) throw new MockApiError(400, 'MISSING_IDEMPOTENCY_KEY', message);
        const body = readJsonBody(request);
        const payload = parseOr400(AnalyticsPayloadSchema, body, 'INVALID_PAYLOAD');
        const { duplicate } = state.analytics.accept(key.trim(), payload, new Date(now()));
        return jsonResponse(200, { accepted: true, duplicate });
      },
    },
  },
  '/analytics/stats': {
    GET: answer(
      { operationId: 'getAnalyticsStats', ok: ['What Analytics received', AnalyticsStatsSchema] },
      (state) => state.analytics.getStats(),
    ),
  },
  '/analytics/received': {
    GET: {
      operationId: 'getReceivedRecord',
      query: ReceivedQuerySchema,
      ok: ['The latest version received and the content hash of every version'],
      errors: { 400: 'Missing or invalid eventType or id', 404: 'Never received, or deleted' },
      handle: (request, { state }) => {
        const { eventType, id } = parseOr400(ReceivedQuerySchema, request.query, 'INVALID_QUERY');
        const record = state.analytics.getRecord(eventType, id);
        const deletedAt = state.analytics.deletedAt(eventType, id);
        if (deletedAt) throw new MockApiError(404, 'DELETED', 'Deleted', { deletedAt });
        if (!record) throw new MockApiError(404, 'NOT_RECEIVED', 'No such record was received');
        return jsonResponse(200, record);
      },
    },
  },
  '/openapi.json': {
    GET: answer({ operationId: 'getOpenApi', ok: ['This document'] }, () => {
      return (document ??= openApiDocument(routes));
    }),
  },
  '/admin/reset': {
    POST: withBody(
      DatasetOptionsSchema.partial(),
      {
        operationId: 'reset',
        description:
          'Regenerates the data set and clears analytics and faults. An empty body keeps the defaults.',
        ok: ['The new settings'],
      },
      (options, { state, now }) => state.reset(options, now()),
      false,
    ),
  },
  '/admin/mutate': {
    POST: changeRecords(
      'mutate',
      'Changes count records (seeded choice) and bumps their updatedAt to now.',
    ),
  },
  '/admin/corrupt': {
    POST: changeRecords(
      'corrupt',
      'Deliberately makes count records break the published Customer/Product schema and bumps their updatedAt to now: list responses then serve records that do not conform, on purpose.',
    ),
  },
  '/admin/delete': {
    POST: changeRecords(
      'delete',
      'Deletes count records (seeded choice) or the given ids; records already deleted and unknown ids are skipped. Soft (default): updatedAt = deletedAt = now, and updatedSince pages serve them with deletedAt. hard: true: the record vanishes from every page, so only a full sync can notice.',
    ),
  },
  '/admin/faults': {
    GET: answer(
      { operationId: 'getFaults', ok: ['Current fault settings', FaultSettingsSchema] },
      (state) => state.faults,
    ),
    PUT: withBody(
      FaultSettingsSchema,
      {
        operationId: 'putFaults',
        description:
          'Replaces the fault settings: errors, latency, 429s and outages on crm, inventory and analytics.',
        ok: ['The new fault settings', FaultSettingsSchema],
      },
      (faults, { state }) => state.setFaults(faults),
    ),
    DELETE: answer(
      { operationId: 'clearFaults', ok: ['Faults cleared', FaultSettingsSchema] },
      (state) => state.setFaults({}),
    ),
  },
};
let document: Record<string, unknown> | undefined;

/** Answers one request: route lookup, injected faults, then the route itself. */
export async function routeRequest(request: MockRequest, deps: RouterDeps): Promise<MockResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const methods = routes[path];
  if (!methods) return errorResponse(404, 'NOT_FOUND', `No route ${request.path}`);
  const route = methods[request.method.toUpperCase()];
  if (!route) {
    const allow = Object.keys(methods).join(', ');
    const message = `${request.method} is not allowed here; use ${allow}`;
    return errorResponse(405, 'METHOD_NOT_ALLOWED', message, {}, { allow });
  }
  const injected = await injectFault(deps.state, path, deps.now(), deps.sleep);
  if (injected) return injected;
  try {
    return route.handle(request, deps);
  } catch (error) {
    if (error instanceof MockApiError) return error.response();
    throw error;
  }
}
