import { z } from 'zod';
import { errorBody } from './contract/index.js';
import type { Route } from './route.js';

type JsonSchema = Record<string, unknown>;

const toJsonSchema = (schema: unknown): JsonSchema => z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

const errorSchema = z.toJSONSchema(errorBody, { io: 'output', unrepresentable: 'any' }) as JsonSchema;

function parametersOf(schema: unknown, location: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of routes) {
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      const description = typeof response === 'string' ? response : response.description;
      if (Number(status) >= 400) responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      else if (typeof response === 'string') responses[status] = { description };
      else responses[status] = { description, content: { [response.mediaType ?? 'application/json']: { schema: z.toJSONSchema(response.body, { io: 'output', unrepresentable: 'any' }) } } };
    }
    const operation: JsonSchema = {
      summary: spec.summary,
      tags: [spec.tag],
      parameters: [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query'), ...parametersOf(spec.headers, 'header')],
      responses,
    };
    if (spec.body) operation.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(spec.body) } } };
    if (spec.access !== 'public') operation.security = [{ bearer: [] }];
    (paths[path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Boxoffice API', version, description: 'Seat reservations as Temporal sagas. Every answer\'s schema is below; error bodies are { error, message, details? }.' },
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
