import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination';

/**
 * The OpenAPI 3.0 document of every mock route. Hand-written: the routes are few and stable, and
 * generating it from the zod schemas would need another dependency for little gain.
 */
const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};
const jsonError = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const injectedFaults = {
  '429': {
    ...jsonError('Rate limited (fault injection)'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
  '503': jsonError('Outage (fault injection)'),
  '5XX': jsonError('Injected error'),
};
const pageParameters = [
  {
    name: 'updatedSince',
    in: 'query',
    description: 'Only records with updatedAt >= this instant (inclusive).',
    schema: { type: 'string', format: 'date-time' },
  },
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  {
    name: 'cursor',
    in: 'query',
    description:
      'Opaque; the nextCursor of the previous page. Pages are ordered by (updatedAt, id).',
    schema: { type: 'string' },
  },
];
const pageOf = (ref: string, description: string) => ({
  200: {
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['items', 'nextCursor'],
          properties: {
            items: { type: 'array', items: { $ref: ref } },
            nextCursor: { type: 'string', nullable: true, description: 'null on the last page' },
          },
        },
      },
    },
  },
  400: jsonError('Invalid limit, updatedSince or cursor'),
  ...injectedFaults,
});
const jsonBody = (schema: unknown, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});
const entityCount = {
  type: 'object',
  required: ['entity', 'count'],
  properties: {
    entity: { type: 'string', enum: ['customers', 'products'] },
    count: { type: 'integer', minimum: 1 },
  },
};
const idsResponse = {
  200: {
    description: 'The ids of the changed records',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: { ids: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  },
  400: jsonError('Invalid body'),
};
const routeFault = {
  type: 'object',
  additionalProperties: false,
  properties: {
    errorRate: { type: 'number', minimum: 0, maximum: 1 },
    status: { type: 'integer', minimum: 400, maximum: 599, default: 500 },
    latencyMs: { type: 'integer', minimum: 0 },
    latencySpikeRate: { type: 'number', minimum: 0, maximum: 1 },
    latencySpikeMs: { type: 'integer', minimum: 0 },
    rateLimitRate: { type: 'number', minimum: 0, maximum: 1 },
    retryAfterSeconds: { type: 'integer', minimum: 0, default: 1 },
    outageUntil: { type: 'string', format: 'date-time' },
  },
};

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'ecom-sync mock APIs (CRM, Inventory, Analytics)',
    version: '1.0.0',
    description:
      'Deterministic, seeded mock source and sink APIs with fault injection, for testing the ecom-sync pipeline.',
  },
  paths: {
    '/crm/customers': {
      get: {
        operationId: 'listCustomers',
        tags: ['crm'],
        parameters: pageParameters,
        responses: pageOf('#/components/schemas/Customer', 'A page of customers'),
      },
    },
    '/crm/soap': {
      post: {
        operationId: 'soapAddCustomer',
        tags: ['crm'],
        description:
          'SOAP 1.1 AddCustomer (namespace urn:ecom-sync:crm, children name and email). Headers: Content-Type text/xml, SOAPAction.',
        parameters: [
          { name: 'SOAPAction', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: { 'text/xml': { schema: { type: 'string' } } } },
        responses: {
          200: {
            description: 'AddCustomerResponse with the new id',
            content: { 'text/xml': { schema: { type: 'string' } } },
          },
          500: {
            description: 'SOAP Fault (malformed XML, missing fields)',
            content: { 'text/xml': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/inventory/products': {
      get: {
        operationId: 'listProducts',
        tags: ['inventory'],
        parameters: pageParameters,
        responses: pageOf('#/components/schemas/Product', 'A page of products'),
      },
    },
    '/analytics/data': {
      post: {
        operationId: 'postAnalyticsData',
        tags: ['analytics'],
        parameters: [
          { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: jsonBody({ $ref: '#/components/schemas/AnalyticsPayload' }),
        responses: {
          200: {
            description:
              'Accepted; duplicate = the Idempotency-Key was seen before (not stored again)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { accepted: { type: 'boolean' }, duplicate: { type: 'boolean' } },
                },
              },
            },
          },
          400: jsonError(
            'Missing Idempotency-Key, invalid JSON or invalid payload (with zod issues)',
          ),
          415: jsonError('Content-Type is not application/json'),
          ...injectedFaults,
        },
      },
    },
    '/analytics/stats': {
      get: {
        operationId: 'getAnalyticsStats',
        tags: ['analytics'],
        responses: {
          200: {
            description: 'What Analytics received',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/AnalyticsStats' } },
            },
          },
          ...injectedFaults,
        },
      },
    },
    '/analytics/received': {
      get: {
        operationId: 'getReceivedRecord',
        tags: ['analytics'],
        parameters: [
          {
            name: 'eventType',
            in: 'query',
            required: true,
            schema: { type: 'string', enum: ['CUSTOMER', 'PRODUCT'] },
          },
          { name: 'id', in: 'query', required: true, schema: { type: 'string' } },
        ],
        responses: {
          200: { description: 'The latest version received and the content hash of every version' },
          404: jsonError('Never received'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        tags: ['meta'],
        responses: { 200: { description: 'This document' } },
      },
    },
    '/admin/reset': {
      post: {
        operationId: 'reset',
        tags: ['admin'],
        description: 'Regenerates the data set and clears analytics and faults.',
        requestBody: jsonBody(
          {
            type: 'object',
            properties: {
              seed: { type: 'integer' },
              customers: { type: 'integer', minimum: 0 },
              products: { type: 'integer', minimum: 0 },
              driftPerMinute: { type: 'number', minimum: 0 },
            },
          },
          false,
        ),
        responses: { 200: { description: 'The new settings' }, 400: jsonError('Invalid body') },
      },
    },
    '/admin/mutate': {
      post: {
        operationId: 'mutate',
        tags: ['admin'],
        description: 'Changes count records (seeded choice) and bumps their updatedAt to now.',
        requestBody: jsonBody(entityCount),
        responses: idsResponse,
      },
    },
    '/admin/corrupt': {
      post: {
        operationId: 'corrupt',
        tags: ['admin'],
        description: 'Makes count records schema-invalid and bumps their updatedAt to now.',
        requestBody: jsonBody(entityCount),
        responses: idsResponse,
      },
    },
    '/admin/faults': {
      get: {
        operationId: 'getFaults',
        tags: ['admin'],
        responses: { 200: { description: 'Current fault settings' } },
      },
      put: {
        operationId: 'putFaults',
        tags: ['admin'],
        requestBody: jsonBody({
          type: 'object',
          additionalProperties: false,
          properties: { crm: routeFault, inventory: routeFault, analytics: routeFault },
        }),
        responses: {
          200: { description: 'The new fault settings' },
          400: jsonError('Invalid body'),
        },
      },
      delete: {
        operationId: 'clearFaults',
        tags: ['admin'],
        responses: { 200: { description: 'Faults cleared' } },
      },
    },
  },
  components: {
    schemas: {
      Error: errorBody,
      Customer: {
        type: 'object',
        required: ['id', 'name', 'email', 'createdDate', 'updatedAt'],
        properties: {
          id: { type: 'string', example: 'cust-000001' },
          name: { type: 'string' },
          email: { type: 'string', format: 'email' },
          createdDate: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
      Product: {
        type: 'object',
        required: ['id', 'productName', 'sku', 'stockQuantity', 'updatedAt'],
        properties: {
          id: { type: 'string', example: 'prod-000001' },
          productName: { type: 'string' },
          sku: { type: 'string' },
          stockQuantity: { type: 'integer', minimum: 0 },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
      AnalyticsPayload: {
        type: 'object',
        required: ['eventId', 'timestamp', 'customers', 'products', 'metadata'],
        properties: {
          eventId: { type: 'string' },
          timestamp: { type: 'string', format: 'date-time' },
          customers: { type: 'array', items: { $ref: '#/components/schemas/Customer' } },
          products: { type: 'array', items: { $ref: '#/components/schemas/Product' } },
          metadata: {
            type: 'object',
            required: ['source', 'customerCount', 'productCount', 'batchIds'],
            properties: {
              source: { type: 'string' },
              customerCount: { type: 'integer' },
              productCount: { type: 'integer' },
              batchIds: { type: 'array', minItems: 1, items: { type: 'string' } },
            },
          },
        },
      },
      AnalyticsStats: {
        type: 'object',
        properties: Object.fromEntries(
          [
            'payloads',
            'duplicatePayloads',
            'uniqueRecords',
            'uniqueVersions',
            'recordsReceived',
            'duplicateRecords',
          ].map((name) => [name, { type: 'integer' }]),
        ),
      },
    },
  },
} as const;
