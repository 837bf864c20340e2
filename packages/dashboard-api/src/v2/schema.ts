/**
 * The Query API's request and answer as JSON Schema (2020-12, OpenAPI 3.1), built from the
 * vocabulary the parser checks against, for `/openapi.json`. The parser (`parse.ts`) stays the
 * authority: a test checks that bodies it accepts validate here and structural errors do not.
 */
import { MAX_LIMIT } from './parse.ts';
import {
  EVENT_ATTRIBUTE_DIMENSIONS,
  EVENT_DIMENSIONS,
  FILTER_OPS,
  METRICS,
  NAMED_RANGES,
  TIME_DIMENSIONS,
  VISIT_DIMENSIONS,
} from './vocabulary.ts';

const dimension = {
  anyOf: [
    { enum: [...EVENT_DIMENSIONS, ...VISIT_DIMENSIONS, ...EVENT_ATTRIBUTE_DIMENSIONS, ...TIME_DIMENSIONS] },
    { type: 'string', pattern: '^prop:.{1,64}$', description: 'A custom property: `prop:<key>`.' },
  ],
};
const range = {
  anyOf: [
    { enum: NAMED_RANGES, description: 'Named ranges in `timezone`; `7d`, `28d`, `30d` are the whole days before today.' },
    { type: 'string', pattern: '^\\d{1,5}[smh]$', description: 'A sliding window up to now, 30s … 24h.' },
    {
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'string' }],
      minItems: 2,
      maxItems: 2,
      description: 'Two dates (YYYY-MM-DD, whole days in `timezone`, both included) or two ISO 8601 instants with an offset.',
    },
  ],
};

export const QUERY_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'metrics'],
  properties: {
    site: {
      description: 'A site, or a list of up to 100 sites answered together.',
      anyOf: [
        { type: 'string', minLength: 1, maxLength: 253 },
        { type: 'array', items: { type: 'string', minLength: 1, maxLength: 253 }, minItems: 1, maxItems: 100 },
      ],
    },
    metrics: { type: 'array', items: { enum: METRICS }, minItems: 1, maxItems: METRICS.length, uniqueItems: true },
    dateRange: { ...range, description: 'Default `7d`.' },
    timezone: { type: 'string', description: "An IANA zone; default the site's, else UTC." },
    dimensions: { type: 'array', items: dimension, maxItems: 5, uniqueItems: true },
    filters: {
      type: 'array',
      maxItems: 50,
      items: { $ref: '#/components/schemas/queryFilter' },
      description:
        'All must hold. `page`, `event`, `goal`, `prop:*` select events (a visit counts if one of its events matches); the others whole visits.',
    },
    compare: { anyOf: [{ enum: ['previous_period', 'year_over_year'] }, range, { type: 'null' }] },
    orderBy: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: { type: 'array', prefixItems: [{ type: 'string' }, { enum: ['asc', 'desc'] }], minItems: 2, maxItems: 2 },
      description: 'Default: the first metric descending (time ascending with a time dimension); ties by dimension values.',
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
    format: { enum: ['json', 'csv'], description: '`csv` (or `Accept: text/csv`) streams the rows as CSV with a header line.' },
  },
};

export const QUERY_FILTER_SCHEMA = {
  anyOf: [
    {
      type: 'array',
      prefixItems: [
        { enum: FILTER_OPS },
        dimension,
        { type: 'array', items: { type: 'string', maxLength: 2048 }, minItems: 1, maxItems: 100 },
      ],
      minItems: 3,
      maxItems: 3,
      description: '[op, dimension, values]: values are ORed; `matches` takes RE2 patterns.',
    },
    {
      type: 'array',
      prefixItems: [
        { enum: ['and', 'or'] },
        { type: 'array', items: { $ref: '#/components/schemas/queryFilter' }, minItems: 1, maxItems: 50 },
      ],
      minItems: 2,
      maxItems: 2,
    },
    { type: 'array', prefixItems: [{ const: 'not' }, { $ref: '#/components/schemas/queryFilter' }], minItems: 2, maxItems: 2 },
  ],
};

const metrics = { type: 'array', items: { type: ['number', 'null'] } };

export const QUERY_ANSWER_SCHEMA = {
  type: 'object',
  required: ['results', 'totals', 'meta', 'query'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['dimensions', 'metrics'],
        properties: {
          dimensions: {
            type: 'array',
            items: { type: 'string' },
            description: 'Values in the order of `dimensions`; time buckets as dates or ISO times with the offset.',
          },
          metrics,
          comparison: {
            type: 'object',
            required: ['metrics', 'change'],
            properties: { metrics, change: { ...metrics, description: 'Percent, one decimal; null when the base is 0.' } },
          },
        },
      },
    },
    totals: { ...metrics, description: 'The metrics over the whole range, without dimensions.' },
    meta: {
      type: 'object',
      required: ['from', 'to', 'timezone', 'tookMs', 'tables'],
      properties: {
        from: { type: 'string' },
        to: { type: 'string', description: 'Exclusive end (UTC).' },
        timezone: { type: 'string' },
        tookMs: { type: 'integer' },
        interval: { enum: ['minute', 'hour', 'day', 'week', 'month'] },
        comparison: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
        cut: {
          type: 'object',
          properties: { from: { type: 'string' }, reason: { type: 'string' } },
          description: 'Present when the range reaches before the raw events kept (RETENTION_DAYS): event metrics count from `from` on.',
        },
        tables: { type: 'array', items: { type: 'string' }, description: 'The tables that answered.' },
      },
    },
    query: { type: 'object', description: 'The query as understood, defaults filled.' },
  },
};
