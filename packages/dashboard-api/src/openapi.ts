/**
 * `/openapi.json`, generated from the route schemas of `schemas.ts` (the Stats API) and
 * `v2/schema.ts` (the Query API), `admin/schemas.ts` + `admin/answers.ts` (the admin API and sign-in) — OpenAPI 3.1, JSON
 * Schema 2020-12.
 */
import { z } from 'zod';
import { ADMIN_ANSWER } from './admin/answers.ts';
import { ADMIN_DOCS, adminOperation } from './admin/openapi.ts';
import { alertPaths } from './alerts/openapi.ts';
import { ALERT_SCHEMAS } from './alerts/schema.ts';
import { switchingPaths } from './imports/openapi.ts';
import { MAX_BATCH, MAX_BATCH_BODY } from './routes/query-batch.ts';
import { ANSWER, QUERY } from './schemas.ts';
import {
  FUNNEL_ANSWER_SCHEMA,
  FUNNEL_REQUEST_SCHEMA,
  QUERY_ANSWER_SCHEMA,
  QUERY_FILTER_SCHEMA,
  QUERY_REQUEST_SCHEMA,
} from './v2/schema.ts';

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
    path: '/api/v2/properties',
    query: 'properties',
    answer: 'properties',
    summary:
      'Custom property keys sent with custom events in the last `days` days (default 30), most used first: the dashboard lists them.',
  },
  {
    path: '/api/v1/stream',
    query: 'stream',
    answer: 'live',
    summary: 'Server-sent `live` events (the /live answer) whenever the numbers change, at least every 5 s.',
    eventStream: true,
  },
];

type JsonSchema = { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[]; [key: string]: unknown };

export function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...schema } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

export function parameters(query: z.ZodType) {
  const schema = schemaOf(query, 'input');
  return Object.entries(schema.properties ?? {}).map(([name, { description, ...rest }]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    ...(description ? { description } : {}),
    schema: rest,
  }));
}

/** One server-sent event: its name, and its data, the JSON text of an answer. */
export function eventOf(answer: string) {
  return {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { const: answer },
      data: { type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: `#/components/schemas/${answer}` } },
    },
  };
}

export const error = (description: string) => ({
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
                description: 'text/event-stream of `event: live` messages, each carrying the answer as JSON in its data',
                // Before OpenAPI 3.2's `itemSchema`, the schema of an event stream describes one event.
                content: { 'text/event-stream': { schema: eventOf(route.answer) } },
              }
            : { description: 'OK', content: { 'application/json': { schema: ref } } },
          400: error('A parameter is missing or malformed.'),
          401: error('No credentials, or a wrong or revoked key, session or link.'),
          403: error(
            'The credentials do not hold stats:read on this site; or, in the open mode (no API_TOKEN, no proxy sign-in), the request does not name a loopback host (localhost, 127.0.0.1, [::1]).',
          ),
          429: error('Too many failed sign-ins from this address (Retry-After).'),
          ...(route.eventStream ? { 503: error('Too many open streams.') } : {}),
        },
      },
    };
  }
  paths['/api/v2/query'] = {
    post: {
      operationId: 'query',
      summary: 'The Query API (SPEC §10): any metric by any dimensions, filters, date range, time zone and comparison.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/queryRequest' } } } },
      responses: {
        200: {
          description: 'The rows, the totals and what answered; `text/csv` with `Accept: text/csv` or `"format": "csv"`.',
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/queryAnswer' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        400: error(
          'A malformed query: `field` is a JSON pointer into the body (e.g. `/filters/0/1`). Besides what the request schema says, the rules between fields: `orderBy` names metrics or dimensions of the query; a range starts no later than it ends; `matches` patterns are RE2; conversions need a goal (or event) filter or the goal dimension; at most 10 000 time buckets and 100 000 groups; filters nest at most 8 deep.',
        ),
        401: error('No credentials, or a wrong or revoked key, session or link.'),
        403: error(
          'The credentials do not hold stats:read on every site the query names; or, in the open mode (no API_TOKEN, no proxy sign-in), the request does not name a loopback host (localhost, 127.0.0.1, [::1]).',
        ),
        429: error('Too many failed sign-ins from this address (Retry-After).'),
        503: error('The query ran longer than the server-side limit; narrow the range or filters (with Retry-After).'),
      },
    },
  };
  paths['/api/v2/query/batch'] = {
    post: {
      operationId: 'queryBatch',
      summary:
        'Several Query API bodies in one request (docs/query.md "Batches"): each is checked and answered as POST /api/v2/query answers it alone, as one NDJSON line the moment it is answered.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/queryBatchRequest' } } } },
      responses: {
        200: {
          description:
            'One line per query, in the order they are answered: a `queryBatchLine` (`index` into `queries`; `status` and `body` what POST /api/v2/query answers that query alone: a `queryAnswer` with 200; an `error` with 503 (over the server-side time limit) or 500).',
          content: { 'application/x-ndjson': { schema: { type: 'string' } } },
        },
        400: error(
          `A malformed batch (not a JSON object of \`queries\`, 1 to ${MAX_BATCH} bodies, in at most ${MAX_BATCH_BODY / 1024} KiB), or a query in it malformed as POST /api/v2/query says, or asking \`"format": "csv"\`: \`field\` is a JSON pointer into the batch (\`/queries/2/dimensions/0\`). No query runs.`,
        ),
        401: error('No credentials, or a wrong or revoked key, session or link.'),
        403: error(
          'The credentials do not hold stats:read on every site a query of the batch names; or, in the open mode, the request does not name a loopback host.',
        ),
        429: error('Too many failed sign-ins from this address (Retry-After).'),
      },
    },
  };
  paths['/api/v2/funnel'] = {
    post: {
      operationId: 'funnel',
      summary:
        'A funnel (SPEC §12): visitors per ordered step (goal names or event filters) within a time limit, drop-off, conversion from step 1.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/funnelRequest' } } } },
      responses: {
        200: {
          description: 'Visitors per step.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/funnelAnswer' } } },
        },
        400: error(
          'A malformed funnel: `field` is a JSON pointer. Besides the request schema: a step filter names event dimensions only; `matches` patterns are RE2; a range starts no later than it ends; filters nest at most 8 deep.',
        ),
        401: error('No credentials, or a wrong or revoked key, session or link.'),
        403: error(
          'The credentials do not hold stats:read on every site the funnel names (a shared link: or its locked filters name visit attributes, which event steps cannot hold); or, in the open mode, the request does not name a loopback host.',
        ),
        429: error('Too many failed sign-ins from this address (Retry-After).'),
        503: error('The funnel ran longer than the server-side limit (with Retry-After).'),
      },
    },
  };
  Object.assign(paths, alertPaths(error));
  for (const doc of ADMIN_DOCS) {
    paths[doc.path] = {
      ...(paths[doc.path] as Record<string, unknown> | undefined),
      [doc.method]: adminOperation(doc, { parameters, schemaOf, error }),
    };
  }
  Object.assign(paths, switchingPaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidemark API',
      version: '2',
      description:
        'Real-time web analytics: the Stats API (SPEC §6; times UTC, windows slide up to now), the Query API (SPEC §10; a shared link’s locked filters hold in its queries), funnels, goals, alerts and reports (SPEC §12, docs/alerts.md), the admin API of sites, keys, shared links, users and the audit log (SPEC §11, docs/admin.md), and a site’s export and imports (SPEC §13, docs/imports.md).',
    },
    security: [{ bearer: [] }, { session: [] }, { proxy: [] }, { share: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (tmk_…) or API_TOKEN.' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'tidemark_session',
          description: 'The dashboard’s sign-in (POST /api/session); changes also need X-CSRF-Token.',
        },
        proxy: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Forwarded-User',
          description: 'AUTH_PROXY_HEADER, believed from AUTH_PROXY_CIDRS only.',
        },
        share: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Tidemark-Share',
          description: 'A shared link’s slug, or the proof of its password.',
        },
      },
      schemas: {
        ...Object.fromEntries(Object.entries(ANSWER).map(([name, type]) => [name, schemaOf(type, 'output')])),
        ...Object.fromEntries(Object.entries(ADMIN_ANSWER).map(([name, type]) => [`v2.${name}`, schemaOf(type, 'output')])),
        queryRequest: QUERY_REQUEST_SCHEMA,
        queryFilter: QUERY_FILTER_SCHEMA,
        queryAnswer: QUERY_ANSWER_SCHEMA,
        queryBatchRequest: {
          type: 'object',
          required: ['queries'],
          additionalProperties: false,
          properties: {
            queries: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: { $ref: '#/components/schemas/queryRequest' } },
          },
        },
        queryBatchLine: {
          type: 'object',
          required: ['index', 'status', 'body'],
          additionalProperties: false,
          properties: {
            index: { type: 'integer', minimum: 0, maximum: MAX_BATCH - 1 },
            status: { type: 'integer', enum: [200, 500, 503] },
            body: { anyOf: [{ $ref: '#/components/schemas/queryAnswer' }, { $ref: '#/components/schemas/error' }] },
          },
        },
        funnelRequest: FUNNEL_REQUEST_SCHEMA,
        funnelAnswer: FUNNEL_ANSWER_SCHEMA,
        ...Object.fromEntries(Object.entries(ALERT_SCHEMAS).map(([name, schema]) => [`alerts.${name}`, schema])),
      },
    },
  };
}
