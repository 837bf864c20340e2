/**
 * The collector's `/openapi.json` (OpenAPI 3.1, JSON Schema 2020-12): the Events API of SPEC §4
 * and §11 — the browser form and the server-side form of `POST /api/event` (or `EVENTS_PATH`) —
 * and the health routes. The bounds come from `LIMITS`, the rules the validator applies
 * (`@tidemark/shared` validate.ts); test/collector-schemathesis.integration.test.ts holds the
 * collector to this document with a fuzzer nobody here wrote.
 *
 * Lengths are counted as JSON Schema's `maxLength` counts them, in Unicode code points (a
 * character outside the Basic Multilingual Plane counts 1, not JavaScript's 2). What JSON Schema
 * cannot state is said in the descriptions: a `url` must also parse as a WHATWG URL; a `timestamp` lies at most 30 days back and 1 minute
 * ahead; the byte limits of a body (413).
 */
import { LIMITS } from '@tidemark/shared';
import { PLAUSIBLE_SITE_KEYS } from './dialects/plausible.ts';

/** A host-name label, either case (the site is stored lower-case): SITE_NAME of validate.ts, less its length lookahead (maxLength says it). */
const LABEL = '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** Keys refused wherever they appear (no prototype pollution through a parsed body). */
const RESERVED = ['__proto__', 'constructor', 'prototype'];
const UUID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

const error = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { 'Access-Control-Allow-Origin': { schema: { const: '*' } }, ...headers },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const retryAfter = (what: string) => ({
  'Retry-After': { description: what, required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
});

const event = {
  type: 'object',
  description:
    'One event. Fields not listed here are ignored, except `__proto__`, `constructor` and `prototype` (reserved: a 400) and `d` and `domain`: they are how a Plausible event names its site (SPEC §13), so an event with `site` and either of them is a 400. `timestamp`, `ip` and `userAgent` are the server-side form (SPEC §11): only a request carrying `Authorization: Bearer <key holding events:write>` may give them; from a browser (no `Authorization`) any of them is a 400 naming it.',
  required: ['site', 'name', 'url'],
  propertyNames: { not: { enum: RESERVED } },
  // Plausible's site keys beside `site` (events-body.ts refuses the mix).
  not: { anyOf: PLAUSIBLE_SITE_KEYS.map((key) => ({ required: [key] })) },
  properties: {
    site: {
      type: 'string',
      minLength: 1,
      maxLength: LIMITS.siteChars,
      pattern: `^${LABEL}(\\.${LABEL})*$`,
      description: 'The site (a host name), stored lower-case. With `SITES` or registered sites, one of them (else 403).',
    },
    name: {
      type: 'string',
      pattern: `^[A-Za-z0-9 _.:-]{1,${LIMITS.nameChars}}$`,
      description: '`pageview`, `engagement` (then `pageviewId` and `durationMs` are required), or a custom event name.',
    },
    url: {
      type: 'string',
      minLength: 1,
      maxLength: LIMITS.urlChars,
      // One pattern is the rule; the first names the usual shape of a URL that parses (a host of
      // letters and digits), so that a generator following the document makes mostly URLs that do.
      anyOf: [
        { pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9]+(\\.[A-Za-z0-9]+)*(:[1-9][0-9]{0,3})?([/?#].*)?$' },
        { pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[\\s\\S]' },
      ],
      description: 'The page: an absolute http(s) URL that parses as a WHATWG URL (`new URL(url)`).',
    },
    referrer: {
      type: ['string', 'null'],
      maxLength: LIMITS.referrerChars,
      description: 'The referrer; empty or null is none.',
    },
    eventId: {
      type: 'string',
      pattern: UUID,
      description: 'A UUID the sender makes, so a retried event is stored once; the server makes one when absent.',
    },
    pageviewId: { type: 'string', pattern: UUID, description: 'For `engagement`: the `eventId` of its pageview.' },
    durationMs: { type: 'integer', minimum: 0, maximum: LIMITS.durationMs, description: 'For `engagement`: visible time on the page.' },
    screenWidth: { type: 'integer', minimum: 0, maximum: LIMITS.screenWidth },
    props: {
      type: 'object',
      maxProperties: LIMITS.propsKeys,
      propertyNames: { minLength: 1, maxLength: LIMITS.propKeyChars, not: { enum: RESERVED } },
      additionalProperties: { anyOf: [{ type: 'string', maxLength: LIMITS.propValueChars }, { type: 'number' }, { type: 'boolean' }] },
      description: `Custom properties: at most ${LIMITS.propsKeys} keys of 1–${LIMITS.propKeyChars} characters (code points, as every length here); values a string of at most ${LIMITS.propValueChars} characters, a number or a boolean.`,
    },
    timestamp: {
      type: 'string',
      format: 'date-time',
      description:
        'Server-side form only: when the event happened, ISO 8601 with a zone (`2026-03-01T12:30:00Z`), at most 30 days old and at most 1 minute ahead of the collector’s clock. Default: the receive time.',
    },
    ip: {
      type: 'string',
      anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }],
      description:
        'Server-side form only: the visitor’s IP address (country, region, city, visitor id); never stored. Default: the connection’s.',
    },
    userAgent: {
      type: 'string',
      minLength: 1,
      maxLength: LIMITS.userAgentChars,
      description:
        'Server-side form only: the visitor’s User-Agent (device, browser, OS, bot filter); never stored. Default: the request’s.',
    },
  },
  if: { properties: { name: { const: 'engagement' } }, required: ['name'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; this object is never awaited.
  then: { required: ['pageviewId', 'durationMs'] },
};

export interface OpenApiOptions {
  /** The events route (`EVENTS_PATH`, default `/api/event`). */
  eventsPath: string;
}

/** The collector's OpenAPI document. */
export function collectorOpenApi({ eventsPath }: OpenApiOptions) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidemark collector: the Events API',
      version: '1',
      description:
        'Receives analytics events from the tracker (browser form) and from servers (server-side form, with an API key holding `events:write`). SPEC §4 and §11; README “Events API”.',
    },
    paths: {
      [eventsPath]: {
        post: {
          operationId: 'sendEvents',
          summary: 'Send one event, or an array of at most 100',
          description: `The browser form has no \`Authorization\`, is rate-limited per client IP (\`RATE_LIMIT_PER_MINUTE\` events a minute) and may not set \`timestamp\`, \`ip\` or \`userAgent\`. The server-side form carries \`Authorization: Bearer <key>\`, is rate-limited per key (\`RATE_LIMIT_PER_KEY_PER_MINUTE\`), and may set them. A body is at most ${LIMITS.eventBytes} bytes for one event and ${LIMITS.batchBytes} bytes for an array (413). \`Content-Type\` is \`application/json\` or \`text/plain\` (the tracker's, a CORS simple request), else 415.`,
          security: [{}, { eventsKey: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Event' },
                    { type: 'array', minItems: 1, maxItems: LIMITS.batchEvents, items: { $ref: '#/components/schemas/Event' } },
                  ],
                },
              },
            },
          },
          responses: {
            '202': {
              description:
                'Accepted: durably handed to the queue. Bot traffic, and events matching the site’s exclusions, are answered 202 and not stored.',
              headers: {
                'Access-Control-Allow-Origin': { schema: { const: '*' } },
                'X-Tidemark-Dropped': {
                  description: '`bot` or `excluded` when some or all of the events were not stored for that reason.',
                  schema: { enum: ['bot', 'excluded'] },
                },
                'X-Tidemark-Dropped-Events': {
                  description: 'A server-side batch judged per event: how many of its events were bots.',
                  schema: { type: 'string', pattern: '^[0-9]+$' },
                },
              },
            },
            '400': error('Malformed: the answer names the field (`0.props.plan` in an array).'),
            '401': error('An `Authorization` that is not a known key.', {
              'WWW-Authenticate': { required: true, schema: { const: 'Bearer' } },
            }),
            '403': error('A site not accepted (`SITES`, registered sites), or a key without `events:write` or without the site.'),
            '413': error('The body is larger than its limit.'),
            '415': error('`Content-Type` is neither `application/json` nor `text/plain`.'),
            '429': error(
              'Rate limited (per client IP, or per key for the server-side form).',
              retryAfter('Seconds until the window ends.'),
            ),
            '503': error(
              'The queue is unavailable or full, the collector is busy, or the key could not be checked: nothing was written; retry.',
              retryAfter('Seconds to wait before retrying.'),
            ),
            '504': error(
              'Kafka did not confirm the events in time: they may be stored. Retry with the same `eventId` (an event id is stored once).',
              retryAfter('Seconds to wait before retrying.'),
            ),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'Alive',
          responses: {
            '200': {
              description: 'The process answers.',
              content: {
                'application/json': { schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } } } },
              },
            },
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'The queue is reachable',
          responses: Object.fromEntries(
            (['200', '503'] as const).map((status) => [
              status,
              {
                description: status === '200' ? 'Ready.' : 'The queue is not reachable, no partition has a leader, or the backlog is full.',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['ready', 'backlog'],
                      properties: {
                        ready: { type: 'boolean' },
                        backlog: { type: 'integer', minimum: 0 },
                        partitionsWithoutLeader: {
                          type: 'integer',
                          minimum: 0,
                          description: "Kafka only: the events topic's partitions that have no leader (their events are held).",
                        },
                        queueReachable: { type: 'boolean', description: 'Kafka only: a broker answered the last metadata fetch.' },
                      },
                    },
                  },
                },
              },
            ]),
          ),
        },
      },
    },
    components: {
      securitySchemes: {
        eventsKey: { type: 'http', scheme: 'bearer', description: 'An API key holding `events:write` (or `API_TOKEN`).' },
      },
      schemas: {
        Event: event,
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, field: { type: 'string', description: 'The field at fault.' } },
        },
      },
    },
  };
}
