import { z } from 'zod';
import { AnalyticsPayloadSchema, AnalyticsStatsSchema } from '../shared/analytics-payload';
import { CustomerSchema, ProductSchema } from '../shared/records';
import { FaultSettingsSchema } from './faults';
import { PageParamsSchema } from './pagination';
import { ChangeSchema, IdempotencyKeySchema, ReceivedQuerySchema, ResetSchema } from './router';

/**
 * The OpenAPI 3.1 document of every mock route, generated from the zod schemas the server
 * validates with (z.toJSONSchema), so that the published contract is exactly as strict as the
 * server and cannot drift from it. Requests are described by what the schemas accept (`input`),
 * responses by what they produce (`output`).
 */
type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'throw',
    // zod's e-mail rule is its pattern; JSON Schema's `email` format is a different (RFC 5321)
    // definition that validators apply instead, so it would publish a contract the server does not have.
    override: ({ jsonSchema }) => {
      if (jsonSchema.format === 'email' && jsonSchema.pattern) delete jsonSchema.format;
    },
  });
  return rest;
}

/** One query parameter per field; a query value is a string, so each field is described by its parsed form. */
function queryParameters(
  schema: z.ZodObject<Record<string, z.ZodType>>,
  descriptions: Record<string, string> = {},
) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const optional = field instanceof z.ZodOptional;
    const inner = optional ? field.unwrap() : field;
    return {
      name,
      in: 'query',
      required: !optional,
      ...(descriptions[name] ? { description: descriptions[name] } : {}),
      schema: schemaOf(inner, 'output'),
    };
  });
}

/** Errors carry more than code and message at times (zod `issues`, ...). */
const ErrorBodySchema = z.object({
  error: z.looseObject({ code: z.string(), message: z.string() }),
});
const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });
/** A JSON response described by a zod schema (its output) or a plain JSON Schema. */
const jsonReply = (description: string, schema: z.ZodType | JsonSchema = { type: 'object' }) => ({
  description,
  content: jsonContent(schema instanceof z.ZodType ? schemaOf(schema, 'output') : schema),
});
const jsonError = (description: string) =>
  jsonReply(description, { $ref: '#/components/schemas/Error' });
const jsonBody = (schema: z.ZodType, required = true) => ({
  required,
  content: jsonContent(schemaOf(schema, 'input')),
});
const bodyErrors = {
  400: jsonError('Missing or malformed JSON, or a body the schema rejects (with zod issues)'),
  413: jsonError('The body exceeds 6 MB (the Function URL limit)'),
  415: jsonError('Content-Type is not application/json'),
};
const injectedFaults = {
  '429': {
    ...jsonError('Rate limited (fault injection, PUT /admin/faults)'),
    headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 } } },
  },
  '503': jsonError('Outage (fault injection)'),
  '5XX': jsonError('Injected error status (fault injection)'),
};

const PageSchema = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('null on the last page'),
  });
/** One operation; `more` holds its description, parameters and request body. */
const op = (
  operationId: string,
  tag: string,
  responses: Record<string, unknown>,
  more: Record<string, unknown> = {},
) => ({ operationId, tags: [tag], ...more, responses });
const listOperation = (operationId: string, tag: string, item: z.ZodType, what: string) => ({
  get: op(
    operationId,
    tag,
    {
      200: jsonReply(`A page of ${what}`, PageSchema(item)),
      400: jsonError('Invalid limit, updatedSince or cursor'),
      ...injectedFaults,
    },
    {
      description: `A page of ${what}, ordered by (updatedAt, id). Records changed by POST /admin/corrupt deliberately break this schema (the pipeline must send them to the DLQ).`,
      parameters: queryParameters(PageParamsSchema, {
        updatedSince: 'Only records with updatedAt >= this instant (inclusive).',
        cursor: 'Opaque; the nextCursor of the previous page.',
      }),
    },
  ),
});
const idsResponse = {
  200: jsonReply('The ids of the changed records', z.object({ ids: z.array(z.string()) })),
  ...bodyErrors,
};
const xml = { 'text/xml': { schema: { type: 'string' } } };
const faults = (description: string) => jsonReply(description, FaultSettingsSchema);

let document: Record<string, unknown> | undefined;

/** Built on first use (the router imports this module and this module the router's schemas). */
export function openApiDocument(): Record<string, unknown> {
  document ??= {
    openapi: '3.1.0',
    info: {
      title: 'ecom-sync mock APIs (CRM, Inventory, Analytics)',
      version: '1.0.0',
      description:
        'Deterministic, seeded mock source and sink APIs with fault injection, for testing the ecom-sync pipeline.',
    },
    paths: {
      '/crm/customers': listOperation('listCustomers', 'crm', CustomerSchema, 'customers'),
      '/inventory/products': listOperation('listProducts', 'inventory', ProductSchema, 'products'),
      '/crm/soap': {
        post: op(
          'soapAddCustomer',
          'crm',
          {
            200: { description: 'AddCustomerResponse with the new id', content: xml },
            400: { description: 'Not a SOAP request: a soap:Client fault', content: xml },
            413: jsonError('The body exceeds 6 MB'),
            500: { description: 'SOAP Fault (malformed XML, missing fields)', content: xml },
            ...injectedFaults,
          },
          {
            description:
              'SOAP 1.1 AddCustomer (namespace urn:ecom-sync:crm, children name and email). A request that is not SOAP (no SOAPAction header, or not text/xml) is a 400; a fault while processing a SOAP message travels with HTTP 500 (SOAP 1.1, section 6.2).',
            parameters: [
              { name: 'SOAPAction', in: 'header', required: true, schema: { type: 'string' } },
            ],
            requestBody: { required: true, content: xml },
          },
        ),
      },
      '/analytics/data': {
        post: op(
          'postAnalyticsData',
          'analytics',
          {
            200: jsonReply(
              'Accepted; duplicate = the Idempotency-Key was seen before (not stored again)',
              z.object({ accepted: z.literal(true), duplicate: z.boolean() }),
            ),
            ...bodyErrors,
            ...injectedFaults,
          },
          {
            parameters: [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: true,
                schema: schemaOf(IdempotencyKeySchema, 'input'),
              },
            ],
            requestBody: jsonBody(AnalyticsPayloadSchema),
          },
        ),
      },
      '/analytics/stats': {
        get: op('getAnalyticsStats', 'analytics', {
          200: jsonReply('What Analytics received', AnalyticsStatsSchema),
        }),
      },
      '/analytics/received': {
        get: op(
          'getReceivedRecord',
          'analytics',
          {
            200: jsonReply('The latest version received and the content hash of every version'),
            400: jsonError('Missing or invalid eventType or id'),
            404: jsonError('Never received'),
          },
          { parameters: queryParameters(ReceivedQuerySchema) },
        ),
      },
      '/openapi.json': { get: op('getOpenApi', 'meta', { 200: jsonReply('This document') }) },
      '/admin/reset': {
        post: op(
          'reset',
          'admin',
          { 200: jsonReply('The new settings'), ...bodyErrors },
          {
            description:
              'Regenerates the data set and clears analytics and faults. An empty body keeps the defaults.',
            requestBody: jsonBody(ResetSchema, false),
          },
        ),
      },
      '/admin/mutate': {
        post: op('mutate', 'admin', idsResponse, {
          description: 'Changes count records (seeded choice) and bumps their updatedAt to now.',
          requestBody: jsonBody(ChangeSchema),
        }),
      },
      '/admin/corrupt': {
        post: op('corrupt', 'admin', idsResponse, {
          description:
            'Deliberately makes count records break the published Customer/Product schema and bumps their updatedAt to now: list responses then serve records that do not conform, on purpose.',
          requestBody: jsonBody(ChangeSchema),
        }),
      },
      '/admin/faults': {
        get: op('getFaults', 'admin', { 200: faults('Current fault settings') }),
        put: op(
          'putFaults',
          'admin',
          { 200: faults('The new fault settings'), ...bodyErrors },
          {
            description:
              'Replaces the fault settings: errors, latency, 429s and outages on crm, inventory and analytics.',
            requestBody: jsonBody(FaultSettingsSchema),
          },
        ),
        delete: op('clearFaults', 'admin', { 200: faults('Faults cleared') }),
      },
    },
    components: { schemas: { Error: schemaOf(ErrorBodySchema, 'output') } },
  };
  return document;
}
