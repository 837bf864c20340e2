/** `/openapi.json`, generated from the route schemas of `schemas.ts` (OpenAPI 3.1, JSON Schema 2020-12). */
import { z } from 'zod';
import { switchingPaths } from './imports/openapi.ts';
import { ANSWER, QUERY } from './schemas.ts';

interface RouteDoc {
  path: string;
  query: keyof typeof QUERY;
  answer: keyof typeof ANSWER;
  summary: string;
  eventStream?: boolean;
}

export const ROUTE_DOCS: RouteDoc[] = [
  { path: '/api/v1/live', query: 'live', answer: 'live', summary: 'Views, visitors and time on page in a sliding window (default 5m).' },
  { path: '/api/v1/top-pages', query: 'topPages', answer: 'topPages', summary: 'Most viewed pages (default window 10m).' },
  {
    path: '/api/v1/timeseries',
    query: 'timeseries',
    answer: 'timeseries',
    summary: 'Views and visitors per minute, hour or day, optionally split by a dimension.',
  },
  { path: '/api/v1/breakdown', query: 'breakdown', answer: 'breakdown', summary: 'Views and visitors per value of one dimension.' },
  {
    path: '/api/v1/anomaly',
    query: 'anomaly',
    answer: 'anomaly',
    summary: 'This hour so far against the same minutes of the same hour 7 days earlier.',
  },
  { path: '/api/v1/freshness', query: 'freshness', answer: 'freshness', summary: 'How far the stored data trails the collector.' },
  { path: '/api/v1/sites', query: 'sites', answer: 'sites', summary: 'Sites with pageviews in the last 30 days.' },
  {
    path: '/api/v1/stream',
    query: 'stream',
    answer: 'live',
    summary: 'Server-sent `live` events (the /live answer) whenever the numbers change, at least every 5 s.',
    eventStream: true,
  },
];

type JsonSchema = { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[]; [key: string]: unknown };

function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...schema } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

function parameters(query: z.ZodType) {
  const schema = schemaOf(query, 'input');
  return Object.entries(schema.properties ?? {}).map(([name, { description, ...rest }]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema: rest,
  }));
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } },
});

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of ROUTE_DOCS) {
    const ref = { $ref: `#/components/schemas/${route.answer}` };
    paths[route.path] = {
      get: {
        operationId: route.query,
        summary: route.summary,
        parameters: parameters(QUERY[route.query]),
        responses: {
          200: route.eventStream
            ? {
                description: 'text/event-stream of `event: live` messages whose data is this schema',
                content: { 'text/event-stream': { schema: ref } },
              }
            : { description: 'OK', content: { 'application/json': { schema: ref } } },
          400: error('A parameter is missing or malformed.'),
          401: error('API_TOKEN is set and the request has no valid Bearer token.'),
          ...(route.eventStream ? { 503: error('Too many open streams.') } : {}),
        },
      },
    };
  }
  Object.assign(paths, switchingPaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidemark Stats API',
      version: '1',
      description: 'Real-time web analytics (SPEC §6). Times are UTC; windows slide up to now.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN; the stream also accepts ?token=' } },
      schemas: Object.fromEntries(Object.entries(ANSWER).map(([name, type]) => [name, schemaOf(type, 'output')])),
    },
  };
}
