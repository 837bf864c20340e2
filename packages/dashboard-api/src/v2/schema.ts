/**
 * The Query API's request and answer as JSON Schema (2020-12, OpenAPI 3.1), built from the
 * vocabulary the parser checks against, for `/openapi.json`. The parser (`parse.ts`) stays the
 * authority: a test checks that bodies it accepts validate here and structural errors do not.
 */
import { SITE_PATTERN } from '../patterns.ts';
import { DATE_PATTERN, INSTANT_PATTERN, MAX_LIMIT, MAX_VALUE_CHARS, PROP_PATTERN, WINDOW_PATTERN } from './parse.ts';
import {
  EVENT_ATTRIBUTE_DIMENSIONS,
  EVENT_DIMENSIONS,
  FILTER_OPS,
  METRICS,
  NAMED_RANGES,
  TIME_DIMENSIONS,
  VISIT_DIMENSIONS,
} from './vocabulary.ts';
import { ZONE_NAME_PATTERN } from './zone.ts';

const prop = { type: 'string', pattern: PROP_PATTERN, description: 'A custom property: `prop:<key>`, a key of 1–64 characters.' };
const DIMENSION_NAMES = [...EVENT_DIMENSIONS, ...VISIT_DIMENSIONS, ...EVENT_ATTRIBUTE_DIMENSIONS, ...TIME_DIMENSIONS];
const dimension = { anyOf: [{ enum: DIMENSION_NAMES }, prop] };
/** What a filter can name: any dimension but time (the date range selects time). */
const filterDimension = { anyOf: [{ enum: [...EVENT_DIMENSIONS, ...VISIT_DIMENSIONS, ...EVENT_ATTRIBUTE_DIMENSIONS] }, prop] };
const date = { type: 'string', pattern: DATE_PATTERN };
const instant = { type: 'string', pattern: INSTANT_PATTERN };
/** [from, to]: from not after to is a rule between the two that JSON Schema cannot state (a 400 naming `/0`). */
const span = {
  anyOf: [
    {
      type: 'array',
      prefixItems: [date, date],
      minItems: 2,
      maxItems: 2,
      description: 'Two dates (YYYY-MM-DD), whole days in `timezone`, both included.',
    },
    {
      type: 'array',
      prefixItems: [instant, instant],
      minItems: 2,
      maxItems: 2,
      description: 'Two ISO 8601 instants with an offset (`2026-01-31T12:00:00Z`, `…+05:30`), both included.',
    },
  ],
};
const range = {
  anyOf: [
    { enum: NAMED_RANGES, description: 'Named ranges in `timezone`; `7d`, `28d`, `30d` are the whole days before today.' },
    { type: 'string', pattern: WINDOW_PATTERN, description: 'A sliding window up to now, 30s … 24h.' },
    span,
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
        { type: 'string', maxLength: 253, pattern: SITE_PATTERN },
        { type: 'array', items: { type: 'string', maxLength: 253, pattern: SITE_PATTERN }, minItems: 1, maxItems: 100 },
      ],
    },
    metrics: { type: 'array', items: { enum: METRICS }, minItems: 1, maxItems: METRICS.length, uniqueItems: true },
    dateRange: { ...range, description: 'Default `7d`.' },
    // A zone's name by its pattern, not the list of 438: a fuzzer would try each one (as the export's and imports').
    timezone: {
      type: 'string',
      maxLength: 64,
      pattern: ZONE_NAME_PATTERN,
      description:
        "An IANA zone name (`Europe/Berlin`, `UTC`, `Etc/GMT+5`); default the site's, else UTC. A name of this form that this server's time-zone data does not know is a 400.",
    },
    dimensions: {
      type: 'array',
      items: dimension,
      maxItems: 5,
      uniqueItems: true,
      contains: { enum: TIME_DIMENSIONS },
      minContains: 0,
      maxContains: 1,
      description: 'At most one of them a time dimension.',
    },
    filters: {
      type: 'array',
      maxItems: 50,
      items: { $ref: '#/components/schemas/queryFilter' },
      description:
        'All must hold. `page`, `event`, `goal`, `prop:*` select events (a visit counts if one of its events matches); the others whole visits.',
    },
    compare: { anyOf: [{ enum: ['previous_period', 'year_over_year'] }, span, { type: 'null' }] },
    orderBy: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: {
        type: 'array',
        prefixItems: [{ anyOf: [{ enum: [...METRICS, ...DIMENSION_NAMES] }, prop] }, { enum: ['asc', 'desc'] }],
        minItems: 2,
        maxItems: 2,
      },
      description:
        'By metrics and dimensions of the query. Default: the first metric descending (time ascending with a time dimension); ties by dimension values.',
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
    format: { enum: ['json', 'csv'], description: '`csv` (or `Accept: text/csv`) streams the rows as CSV with a header line.' },
    include: {
      type: 'object',
      additionalProperties: false,
      properties: {
        imports: {
          type: 'boolean',
          default: false,
          description:
            "Count imported history (Plausible's or Umami's, docs/imports.md) in whole days without native data; `meta.imports` says whether it could.",
        },
        totals: {
          type: 'boolean',
          default: true,
          description:
            '`false`: `totals` is null for every metric, not computed (a query with dimensions then runs no statement without them): for a list that shows its rows only.',
        },
      },
    },
  },
};

export const QUERY_FILTER_SCHEMA = {
  anyOf: [
    {
      type: 'array',
      prefixItems: [
        { enum: FILTER_OPS },
        filterDimension,
        { type: 'array', items: { type: 'string', maxLength: MAX_VALUE_CHARS }, minItems: 1, maxItems: 100 },
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
        imports: {
          type: 'object',
          required: ['included'],
          properties: { included: { type: 'boolean' }, table: { type: 'string' }, reason: { type: 'string' } },
          description: 'With `include.imports`: the imported table that counted, or why none could.',
        },
      },
    },
    query: { type: 'object', description: 'The query as understood, defaults filled.' },
  },
};

/** `POST /api/v2/funnel` (docs/alerts.md): steps are goal names or filters on event dimensions. */
export const FUNNEL_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'steps'],
  properties: {
    site: QUERY_REQUEST_SCHEMA.properties.site,
    dateRange: QUERY_REQUEST_SCHEMA.properties.dateRange,
    timezone: QUERY_REQUEST_SCHEMA.properties.timezone,
    within: {
      type: 'string',
      pattern: WINDOW_PATTERN,
      default: '30m',
      description: 'How long after step 1 the last step may come, 30s … 24h.',
    },
    steps: {
      type: 'array',
      minItems: 2,
      maxItems: 8,
      items: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 120, description: 'A goal name.' },
          { $ref: '#/components/schemas/queryFilter' },
        ],
      },
      description: 'In order. A filter names event dimensions only (page, event, goal, prop:*, event:*).',
    },
  },
};

export const FUNNEL_ANSWER_SCHEMA = {
  type: 'object',
  required: ['steps', 'meta', 'query'],
  properties: {
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'label', 'visitors', 'dropOff', 'dropOffRate', 'conversionRate'],
        properties: {
          step: { type: 'integer' },
          label: { type: 'string' },
          visitors: { type: 'integer' },
          dropOff: { type: 'integer' },
          dropOffRate: { type: 'number' },
          conversionRate: { type: 'number', description: 'Percent of step 1, one decimal.' },
        },
      },
    },
    meta: {
      type: 'object',
      required: ['from', 'to', 'timezone', 'within', 'tookMs'],
      properties: {
        from: { type: 'string' },
        to: { type: 'string' },
        timezone: { type: 'string' },
        within: { type: 'string' },
        tookMs: { type: 'integer' },
      },
    },
    query: { type: 'object' },
  },
};
