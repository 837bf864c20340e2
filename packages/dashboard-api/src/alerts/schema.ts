/**
 * Alert rules and report schedules (SPEC §12) as JSON Schema (2020-12, OpenAPI 3.1) for
 * `/openapi.json`: the bodies `rule.ts` takes and the answers `routes/alerts.ts` gives. The
 * parser stays the authority; the rules between fields it adds are listed in the 400's description.
 */
import { SITE_PATTERN } from '../patterns.ts';
import { QUERY_REQUEST_SCHEMA } from '../v2/schema.ts';
import { METRICS } from '../v2/vocabulary.ts';
import { MAX_NUMBER, PATTERNS } from './rule.ts';

const site = { type: 'string', minLength: 1, maxLength: 253, pattern: SITE_PATTERN, description: 'One site.' };
const name = { type: 'string', minLength: 1, maxLength: 120 };
const email = { type: 'string', pattern: PATTERNS.email };

const channel = {
  anyOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'url'],
      properties: {
        type: { enum: ['webhook', 'slack'], description: '`webhook`: JSON signed with `secret`; `slack`: a Slack-compatible `{ text }`.' },
        url: { type: 'string', maxLength: 2048, pattern: PATTERNS.url },
        secret: {
          type: 'string',
          minLength: 8,
          maxLength: 256,
          description: 'Signs `X-Tidemark-Signature: sha256=<hex HMAC>`; never answered.',
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'to'],
      properties: {
        type: { const: 'email', description: 'Needs `SMTP_URL` on the server.' },
        to: { anyOf: [email, { type: 'array', items: email, minItems: 1, maxItems: 20 }] },
      },
    },
  ],
};
const channels = { type: 'array', items: channel, minItems: 1, maxItems: 10 };

export const ALERT_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'name', 'query', 'condition', 'channels'],
  properties: {
    site,
    name,
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['metrics'],
      description: 'A Query API query of the site with one metric (SPEC §10).',
      properties: {
        metrics: { type: 'array', items: { enum: METRICS }, minItems: 1, maxItems: 1 },
        dateRange: { ...QUERY_REQUEST_SCHEMA.properties.dateRange, description: 'Default `5m`.' },
        filters: QUERY_REQUEST_SCHEMA.properties.filters,
      },
    },
    condition: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['op', 'value'],
          properties: { op: { enum: ['>', '<'] }, value: { type: 'number', minimum: -MAX_NUMBER, maximum: MAX_NUMBER } },
          description: 'A threshold.',
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['changePct', 'minVolume'],
          properties: {
            changePct: { type: 'number', minimum: -100_000, maximum: 100_000, not: { const: 0 } },
            minVolume: { type: 'number', minimum: 0, maximum: MAX_NUMBER },
          },
          description:
            'A change (percent; negative: a drop) against the same span a week earlier, once the larger value reaches minVolume.',
        },
      ],
    },
    every: { type: 'string', pattern: PATTERNS.every, default: '1m', description: 'How often it is checked: 10s … 1d.' },
    channels,
  },
};

export const REPORT_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'period', 'channels'],
  properties: {
    site,
    name: { ...name, description: 'Default `<period> report`.' },
    period: { enum: ['weekly', 'monthly'] },
    at: { type: 'string', pattern: PATTERNS.at, default: '08:00', description: 'Local time of day it is sent.' },
    timezone: { ...QUERY_REQUEST_SCHEMA.properties.timezone, description: "Default the site's registered zone, else UTC." },
    channels,
  },
};

const channelAnswer = {
  type: 'object',
  required: ['type', 'target'],
  properties: {
    type: { enum: ['webhook', 'slack', 'email'] },
    target: { type: 'string', description: 'Where it delivers: a URL’s origin, or the addresses.' },
    url: { type: 'string', description: 'Only to sites:admin on the site.' },
    hasSecret: { const: true },
    to: { type: 'array', items: { type: 'string' } },
  },
};

const state = {
  type: 'object',
  required: ['state', 'since', 'value', 'seq'],
  properties: {
    state: { enum: ['ok', 'firing', 'resolved'] },
    since: { type: ['string', 'null'] },
    value: { type: ['number', 'null'] },
    seq: { type: 'integer' },
  },
};

const ruleAnswer = (kind: 'alert' | 'report') => ({
  type: 'object',
  required: ['id', 'kind', 'site', 'name', 'channels', 'createdAt', 'state'],
  properties: {
    id: { type: 'string' },
    kind: { const: kind },
    site: { type: 'string' },
    name: { type: 'string' },
    ...(kind === 'alert'
      ? { query: { type: 'object' }, condition: { type: 'object' }, every: { type: 'string' } }
      : { period: { enum: ['weekly', 'monthly'] }, at: { type: 'string' }, timezone: { type: 'string' } }),
    channels: { type: 'array', items: channelAnswer },
    createdAt: { type: 'string' },
    state,
  },
});

const notice = {
  type: 'object',
  required: ['rule_id', 'seq', 'state', 'value', 'threshold', 'at'],
  properties: {
    rule_id: { type: 'string' },
    seq: { type: 'integer' },
    state: { enum: ['firing', 'resolved', 'report', 'test'] },
    value: { type: 'number' },
    threshold: { type: 'number' },
    at: { type: 'string' },
    claimed_by: { type: 'string' },
  },
};

const delivery = {
  type: 'object',
  required: ['rule_id', 'seq', 'state', 'channel', 'type', 'target', 'attempt', 'ok', 'final', 'status', 'error', 'at'],
  properties: {
    rule_id: { type: 'string' },
    seq: { type: 'integer' },
    state: { type: 'string' },
    channel: { type: 'integer' },
    type: { type: 'string' },
    target: { type: 'string' },
    attempt: { type: 'integer' },
    ok: { enum: [0, 1] },
    final: { enum: [0, 1] },
    status: { type: 'integer' },
    error: { type: 'string' },
    duration_ms: { type: 'integer' },
    at: { type: 'string' },
  },
};

const withoutState = (schema: ReturnType<typeof ruleAnswer>) => ({ ...schema, required: schema.required.filter((k) => k !== 'state') });

/** Components of `/openapi.json` (`alerts.<name>`). */
export const ALERT_SCHEMAS = {
  alertRequest: ALERT_REQUEST_SCHEMA,
  reportRequest: REPORT_REQUEST_SCHEMA,
  alert: ruleAnswer('alert'),
  report: ruleAnswer('report'),
  alertCreated: withoutState(ruleAnswer('alert')),
  reportCreated: withoutState(ruleAnswer('report')),
  alerts: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: ruleAnswer('alert') } } },
  reports: { type: 'object', required: ['reports'], properties: { reports: { type: 'array', items: ruleAnswer('report') } } },
  alertWithHistory: {
    ...ruleAnswer('alert'),
    properties: { ...ruleAnswer('alert').properties, history: { type: 'array', items: notice } },
  },
  reportWithHistory: {
    ...ruleAnswer('report'),
    properties: { ...ruleAnswer('report').properties, history: { type: 'array', items: notice } },
  },
  deliveries: { type: 'object', required: ['deliveries'], properties: { deliveries: { type: 'array', items: delivery } } },
  testSent: {
    type: 'object',
    required: ['sent'],
    properties: {
      sent: { const: true },
      channels: {
        type: 'array',
        items: {
          type: 'object',
          required: ['channel', 'ok'],
          properties: { channel: { type: 'integer' }, ok: { type: 'boolean' }, status: { type: 'integer' }, error: { type: 'string' } },
        },
      },
    },
  },
  goals: {
    type: 'object',
    required: ['site', 'configured', 'goals'],
    properties: {
      site: { type: 'string' },
      configured: { type: 'boolean', description: 'false: the site has no goals set, and every custom event name is one.' },
      goals: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    },
  },
  properties: {
    type: 'object',
    required: ['site', 'event', 'keys'],
    properties: {
      site: { type: 'string' },
      event: { type: ['string', 'null'] },
      keys: {
        type: 'array',
        items: { type: 'object', required: ['key', 'events'], properties: { key: { type: 'string' }, events: { type: 'integer' } } },
      },
    },
  },
};
