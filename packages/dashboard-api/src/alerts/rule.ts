/**
 * Alert rules and report schedules (SPEC §12) as the API takes them: a bad one is a
 * `ValidationError` whose field is a JSON pointer into the body. An alert is a v2 query with one
 * metric plus a condition (a threshold, or a change against the same time a week earlier with a
 * minimum volume), checked every `every`; a report is a weekly or monthly summary sent at a time
 * of day in the site's time zone. Both go to channels: webhooks (signed with their secret),
 * Slack-compatible webhooks, e-mail.
 */
import { ValidationError } from '@tidemark/shared';
import { integerRange } from '../patterns.ts';
import { resolveRange } from '../v2/dates.ts';
import { parseQuery, type Query } from '../v2/parse.ts';
import { zoneName } from '../v2/zone.ts';

export type Channel = { type: 'webhook' | 'slack'; url: string; secret?: string } | { type: 'email'; to: string[] };
export type Condition = { op: '>' | '<'; value: number } | { changePct: number; minVolume: number };

export interface AlertRule {
  id: string;
  kind: 'alert';
  site: string;
  name: string;
  query: { metrics: [string]; dateRange: string | [string, string]; filters?: unknown[] };
  condition: Condition;
  every: string;
  channels: Channel[];
  createdAt: string;
}

export interface ReportRule {
  id: string;
  kind: 'report';
  site: string;
  name: string;
  period: 'weekly' | 'monthly';
  /** Local time of day `HH:MM` in `timezone`. */
  at: string;
  timezone: string;
  channels: Channel[];
  createdAt: string;
}

export type Rule = AlertRule | ReportRule;

/** The patterns the API checks, also stated in `/openapi.json` (alerts/schema.ts). */
export const PATTERNS = {
  /** 10s … 1d, exactly (JSON Schema cannot compare durations: the bounds are in the pattern). */
  every: `^(?:(?:${integerRange(10, 86_400)})s|(?:${integerRange(1, 1440)})m|(?:${integerRange(1, 24)})h|1d)$`,
  email: "^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,253}$",
  url: '^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$',
  at: '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$',
} as const;
/** Thresholds and volumes: at most this large (either sign). */
export const MAX_NUMBER = 1e15;
const EVERY = new RegExp(PATTERNS.every);
const UNIT = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const EMAIL = new RegExp(PATTERNS.email);
const URL_TEXT = new RegExp(PATTERNS.url);
const AT = new RegExp(PATTERNS.at);
/** Length in characters (code points), as JSON Schema counts it. */
const length = (text: string) => [...text].length;
/** A rule may look back at most this many times its interval (10 s → 24 h, 1 m → 6 d, 1 h → 360 d). */
export const LOOKBACK_PER_INTERVAL = 8640;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function fail(message: string, pointer: string): never {
  throw new ValidationError(message, pointer);
}

export function everyMs(text: string): number | null {
  if (!EVERY.test(text)) return null;
  return Number(text.slice(0, -1)) * UNIT[text.at(-1) as keyof typeof UNIT];
}

function keys(body: Record<string, unknown>, allowed: string[], pointer = ''): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) fail(`unknown key ${JSON.stringify(key).slice(0, 60)}`, `${pointer}/${key}`);
}

function name(value: unknown): string {
  if (typeof value !== 'string' || length(value) === 0 || length(value) > 120) fail('name: a string of 1–120 characters', '/name');
  return value;
}

function channels(value: unknown, smtp: boolean): Channel[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 10) fail('channels: a list of 1 to 10 channels', '/channels');
  return value.map((c, i) => {
    const at = `/channels/${i}`;
    if (!isObject(c)) fail('channels: each is { type: "webhook" | "slack", url, secret? } or { type: "email", to }', at);
    if (c.type === 'webhook' || c.type === 'slack') {
      keys(c, ['type', 'url', 'secret'], at);
      let url: URL | null = null;
      try {
        url = typeof c.url === 'string' && length(c.url) <= 2048 && URL_TEXT.test(c.url) ? new URL(c.url) : null;
      } catch {}
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail('channels: url must be an http(s) URL', `${at}/url`);
      if (c.secret !== undefined && (typeof c.secret !== 'string' || length(c.secret) < 8 || length(c.secret) > 256))
        fail('channels: secret is a string of 8–256 characters', `${at}/secret`);
      return { type: c.type, url: url.toString(), ...(typeof c.secret === 'string' ? { secret: c.secret } : {}) };
    }
    if (c.type === 'email') {
      keys(c, ['type', 'to'], at);
      if (!smtp) fail('channels: e-mail needs SMTP_URL to be set on the server', `${at}/type`);
      const to = typeof c.to === 'string' ? [c.to] : c.to;
      if (!Array.isArray(to) || to.length === 0 || to.length > 20) fail('channels: to is an address or a list of 1 to 20', `${at}/to`);
      to.forEach((a, j) => {
        if (typeof a !== 'string' || !EMAIL.test(a))
          fail('channels: not an e-mail address', `${at}/to${typeof c.to === 'string' ? '' : `/${j}`}`);
      });
      return { type: 'email', to: to as string[] };
    }
    return fail('channels: type is webhook, slack or email', `${at}/type`);
  });
}

function condition(value: unknown): Condition {
  if (!isObject(value)) fail('condition: { op: ">" | "<", value } or { changePct, minVolume }', '/condition');
  if ('op' in value) {
    keys(value, ['op', 'value'], '/condition');
    if (value.op !== '>' && value.op !== '<') fail('condition: op is ">" or "<"', '/condition/op');
    if (typeof value.value !== 'number' || !(Math.abs(value.value) <= MAX_NUMBER))
      fail(`condition: value is a number from -${MAX_NUMBER} to ${MAX_NUMBER}`, '/condition/value');
    return { op: value.op, value: value.value };
  }
  keys(value, ['changePct', 'minVolume'], '/condition');
  if (
    typeof value.changePct !== 'number' ||
    !Number.isFinite(value.changePct) ||
    value.changePct === 0 ||
    Math.abs(value.changePct) > 100_000
  )
    fail('condition: changePct is a non-zero percent (50: up by half or more; -50: down by half or more)', '/condition/changePct');
  if (typeof value.minVolume !== 'number' || !(value.minVolume >= 0 && value.minVolume <= MAX_NUMBER))
    fail('condition: minVolume is a number ≥ 0 (the larger of the two values must reach it)', '/condition/minVolume');
  return { changePct: value.changePct, minVolume: value.minVolume };
}

/** The rule's query as the Query API understands it (errors point into `/query`, or `/site`). */
export function alertQuery(rule: Pick<AlertRule, 'site' | 'query'>, siteTimezone?: (site: string) => string | null): Query {
  try {
    return parseQuery({ site: rule.site, ...rule.query }, siteTimezone ? { siteTimezone } : {});
  } catch (error) {
    throw underQuery(error);
  }
}

/** A refusal of the rule's query (by its parser or, like RE2's of a pattern, by the engine) as a pointer into the rule's body: under `/query`, but `/site`. */
export function underQuery(error: unknown): unknown {
  if (!(error instanceof ValidationError) || error.field === '/site' || error.field?.startsWith('/query')) return error;
  return new ValidationError(error.message, `/query${error.field ?? ''}`);
}

export function parseAlert(body: unknown, options: { smtp: boolean; now: number; id: string }): AlertRule {
  if (!isObject(body)) fail('body: must be a JSON object', '');
  keys(body, ['site', 'name', 'query', 'condition', 'every', 'channels']);
  if (!isObject(body.query)) fail('query: { metrics: [one metric], dateRange, filters? }', '/query');
  keys(body.query, ['metrics', 'dateRange', 'filters'], '/query');
  if (!Array.isArray(body.query.metrics) || body.query.metrics.length !== 1)
    fail('query: metrics lists exactly one metric', '/query/metrics');
  const query = {
    metrics: body.query.metrics as [string],
    dateRange: (body.query.dateRange === undefined ? '5m' : body.query.dateRange) as string | [string, string],
  };
  if (body.query.filters !== undefined) Object.assign(query, { filters: body.query.filters });
  if (typeof body.site !== 'string') fail('site: one site (a host name)', '/site');
  const site = body.site.toLowerCase();
  const parsed = alertQuery({ site: site as string, query });
  const every = (body.every === undefined ? '1m' : body.every) as string;
  const interval = typeof every === 'string' ? everyMs(every) : null;
  if (interval === null) fail('every: an interval from 10s to 1d (10s, 30s, 5m, 1h, 1d)', '/every');
  const span = resolveRange(parsed.dateRange, parsed.timezone, options.now);
  if (span.to - span.from > interval * LOOKBACK_PER_INTERVAL)
    fail(
      `query: too heavy for its interval: a rule checked every ${every} may look back at most ${LOOKBACK_PER_INTERVAL} intervals; use a shorter dateRange or a longer every`,
      '/query/dateRange',
    );
  return {
    id: options.id,
    kind: 'alert',
    site: parsed.sites[0] as string,
    name: name(body.name),
    query,
    condition: condition(body.condition),
    every,
    channels: channels(body.channels, options.smtp),
    createdAt: new Date(options.now).toISOString(),
  };
}

export function parseReport(body: unknown, options: { smtp: boolean; now: number; id: string; siteTimezone: string | null }): ReportRule {
  if (!isObject(body)) fail('body: must be a JSON object', '');
  keys(body, ['site', 'name', 'period', 'at', 'timezone', 'channels']);
  if (typeof body.site !== 'string') fail('site: one site (a host name)', '/site');
  const { sites } = parseQuery({ site: body.site, metrics: ['visitors'] });
  if (body.period !== 'weekly' && body.period !== 'monthly') fail('period: weekly or monthly', '/period');
  const at = body.at === undefined ? '08:00' : body.at;
  if (typeof at !== 'string' || !AT.test(at)) fail('at: a time of day HH:MM', '/at');
  const given = body.timezone === undefined ? (options.siteTimezone ?? 'UTC') : body.timezone;
  const timezone = typeof given === 'string' ? zoneName(given) : null;
  if (timezone === null) fail('timezone: unknown IANA time zone', '/timezone');
  return {
    id: options.id,
    kind: 'report',
    site: sites[0] as string,
    name: body.name === undefined ? `${body.period} report` : name(body.name),
    period: body.period,
    at,
    timezone,
    channels: channels(body.channels, options.smtp),
    createdAt: new Date(options.now).toISOString(),
  };
}

/** Where a channel delivers, safe to log and answer: the URL's origin, or the addresses. */
export function targetOf(channel: Channel): string {
  return channel.type === 'email' ? channel.to.join(', ') : new URL(channel.url).origin;
}

/**
 * The rule as the API answers it: never a channel's secret (`hasSecret` says there is one); a
 * webhook's URL (a Slack webhook's is its own credential) only to who may manage the rule
 * (`full`), else only where it delivers (`target`: the origin).
 */
export function redact(rule: Rule, full: boolean): Record<string, unknown> {
  return {
    ...rule,
    channels: rule.channels.map((c) => {
      if (c.type === 'email') return { ...c, target: targetOf(c) };
      return { type: c.type, target: targetOf(c), ...(full ? { url: c.url } : {}), ...(c.secret ? { hasSecret: true } : {}) };
    }),
  };
}
