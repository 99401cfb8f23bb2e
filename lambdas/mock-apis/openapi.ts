import { z } from 'zod';
import { faultRouteOf } from './faults';

/**
 * The OpenAPI 3.1 document from the route table and the zod schemas the server validates with, so
 * it is as strict as the server: requests as the schemas accept (`input`), responses as they produce.
 */
type JsonSchema = Record<string, unknown>;

/** What a route documents about itself; tags, body errors and injected faults are added here. */
export interface Operation {
  operationId: string;
  description?: string;
  /** The 200 answer's description and the zod schema of its JSON (default: an object). */
  ok?: [string, z.ZodType?];
  /** The route's own JSON error statuses and what they mean. */
  errors?: Record<number, string>;
  query?: z.ZodObject<Record<string, z.ZodType>>;
  headers?: Record<string, z.ZodType>;
  /** A JSON request body; its 400/413/415 are documented with it. */
  body?: { schema: z.ZodType; required: boolean };
  /** A route that is not JSON (SOAP) writes its request body and responses out. */
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

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

function operation(path: string, route: Operation) {
  const { operationId, description, ok, errors = {}, query, headers = {}, body } = route;
  const area = path.split('/')[1] ?? '';
  // A query value is a string, so each field is described by its parsed form.
  const queryParameters = Object.entries(query?.shape ?? {}).map(([name, field]) => {
    const optional = field instanceof z.ZodOptional;
    const schema = schemaOf(optional ? field.unwrap() : field, 'output');
    return { name, in: 'query', required: !optional, schema };
  });
  const headerParameters = Object.entries(headers).map(([name, schema]) => {
    return { name, in: 'header', required: true, schema: schemaOf(schema, 'input') };
  });
  const parameters = [...queryParameters, ...headerParameters];
  const errorReplies = Object.entries(errors).map(
    ([status, why]) => [status, jsonError(why)] as const,
  );
  return {
    operationId,
    tags: [area === 'openapi.json' ? 'meta' : area],
    // Undefined members vanish when the document is serialized.
    description,
    parameters: parameters.length > 0 ? parameters : undefined,
    requestBody: body
      ? { required: body.required, content: jsonContent(schemaOf(body.schema, 'input')) }
      : route.requestBody,
    responses: {
      200: ok && jsonReply(ok[0], ok[1]),
      ...Object.fromEntries(errorReplies),
      ...(body ? bodyErrors : {}),
      ...(faultRouteOf(path) ? injectedFaults : {}),
      ...route.responses,
    },
  };
}

export function openApiDocument(routes: Record<string, Partial<Record<string, Operation>>>) {
  const paths = Object.entries(routes).map(([path, methods]) => {
    const operations = Object.entries(methods).map(([method, route]): [string, unknown] => {
      return [method.toLowerCase(), route && operation(path, route)];
    });
    return [path, Object.fromEntries(operations)] as const;
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'ecom-sync mock APIs (CRM, Inventory, Analytics)',
      version: '1.0.0',
      description:
        'Deterministic, seeded mock source and sink APIs with fault injection, for testing the ecom-sync pipeline.',
    },
    paths: Object.fromEntries(paths),
    components: { schemas: { Error: schemaOf(ErrorBodySchema, 'output') } },
  };
}
