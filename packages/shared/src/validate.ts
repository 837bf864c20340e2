/**
 * The one validation schema of SPEC §4, shared by the collector (at the edge) and the
 * ingester (on decode). Hand-written rather than generated: it runs on every request,
 * reads only the fields it knows (so `__proto__` and friends are never copied), and
 * names the offending field in its error.
 */
import { isIP } from 'node:net';
import { ValidationError } from './errors.ts';
import type { IncomingEvent, PropValue } from './event.ts';
import { parseIsoInstant } from './iso-time.ts';
import { ENGAGEMENT, LIMITS, PAGEVIEW } from './names.ts';

const LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?';
/** A site: a lower-case host name (dot-separated labels of up to 63 characters, 253 in all). Collector and Stats API both use it. */
export const SITE_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})*$`);
const CUSTOM_NAME = /^[A-Za-z0-9 _.:-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, field);
}

/**
 * Whether `text` is longer than `max` characters, counted as JSON Schema's `maxLength` counts
 * them (Unicode code points), not as UTF-16 units: an astral character is one. A string no
 * longer than `max` units is within it without counting.
 */
function longer(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let points = 0;
  for (const _ of text) if (++points > max) return true;
  return false;
}

function string(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (value.length === 0 || longer(value, max)) fail(field, `must be 1 to ${max} characters`);
  return value;
}

function integer(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    fail(field, `must be an integer from 0 to ${max}`);
  }
  return value;
}

function uuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) fail(field, 'must be a UUID');
  return value.toLowerCase();
}

const HTTP = /^https?:\/\//i;

/** Parses the URL once; the caller keeps the `URL` so enrichment does not parse it again. */
function httpUrl(value: unknown, field: string): URL {
  const text = string(value, field, LIMITS.urlChars);
  if (!HTTP.test(text)) fail(field, 'must be an absolute http(s) URL');
  const url = URL.parse(text);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(field, 'must be an absolute http(s) URL');
  return url;
}

function props(value: unknown, field: string): Record<string, PropValue> {
  if (!isObject(value)) fail(field, 'must be an object');
  const keys = Object.keys(value);
  if (keys.length > LIMITS.propsKeys) fail(field, `must have at most ${LIMITS.propsKeys} keys`);
  const out: Record<string, PropValue> = {};
  for (const key of keys) {
    // Named by its first 64 characters (code points: an astral character is not cut in two).
    const at = `${field}.${key.length > 64 ? [...key].slice(0, 64).join('') : key}`;
    if (key.length === 0 || longer(key, LIMITS.propKeyChars)) fail(at, `keys must be 1 to ${LIMITS.propKeyChars} characters`);
    if (FORBIDDEN_KEYS.has(key)) fail(at, 'is a reserved key');
    const v = value[key];
    if (typeof v === 'string') {
      if (longer(v, LIMITS.propValueChars)) fail(at, `must be at most ${LIMITS.propValueChars} characters`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(at, 'must be a finite number');
    } else if (typeof v !== 'boolean') {
      fail(at, 'must be a string, number or boolean');
    }
    out[key] = v;
  }
  return out;
}

/** The fields only a server-side sender may give (SPEC §11). */
export const SERVER_FIELDS = ['timestamp', 'ip', 'userAgent'] as const;

export interface ValidateOptions {
  /**
   * The request carries a key holding `events:write` (SPEC §11): `timestamp`, `ip` and
   * `userAgent` are read. Otherwise (a browser) any of them is a 400 naming it.
   */
  server?: boolean;
  /** The receive time that `timestamp` is bounded against (at most 30 days before, 1 minute after). */
  nowMs?: number;
  /**
   * An `engagement` may come without `pageviewId` (Plausible's, SPEC §13): the ingester ties it
   * to the visitor's latest pageview of its URL. Tidemark's own engagement always names its pageview.
   */
  engagementWithoutPageview?: boolean;
}

function timestamp(value: unknown, field: string, nowMs: number): number {
  if (typeof value !== 'string') fail(field, 'must be an ISO 8601 time string');
  const ms = value.length > 40 ? null : parseIsoInstant(value);
  if (ms === null) fail(field, 'must be an ISO 8601 time with a zone, e.g. 2026-03-01T12:30:00Z');
  if (ms < nowMs - LIMITS.backdateMs) fail(field, 'must be at most 30 days old');
  if (ms > nowMs + LIMITS.aheadMs) fail(field, 'must be at most 1 minute ahead of the server clock');
  return ms;
}

function ipAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || isIP(value) === 0) fail(field, 'must be an IPv4 or IPv6 address');
  return value;
}

function serverFields(input: Json, event: IncomingEvent, prefix: string, options: ValidateOptions): void {
  if (options.server !== true) {
    for (const key of SERVER_FIELDS) {
      if (input[key] !== undefined) fail(prefix + key, 'only server-side requests may set it, with an API key holding events:write');
    }
    return;
  }
  if (input.timestamp !== undefined) event.timeMs = timestamp(input.timestamp, `${prefix}timestamp`, options.nowMs ?? Date.now());
  if (input.ip !== undefined) event.ip = ipAddress(input.ip, `${prefix}ip`);
  if (input.userAgent !== undefined) event.userAgent = string(input.userAgent, `${prefix}userAgent`, LIMITS.userAgentChars);
}

/** A validated event with its `url` already parsed. */
export interface ParsedEvent {
  event: IncomingEvent;
  url: URL;
  /** The page's path when it is not `url.pathname`: a Plausible hash-routed page (`h: 1`) counts `pathname + hash`. */
  path?: string;
}

/** Validates one event; `prefix` names its place in an array (`"3."`). */
export function checkEvent(input: unknown, prefix: string, options: ValidateOptions): ParsedEvent {
  if (!isObject(input)) throw new ValidationError(`${prefix || 'body'}: must be an event object`, prefix.slice(0, -1) || undefined);
  for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(input, key)) fail(prefix + key, 'is a reserved key');

  const site = string(input.site, `${prefix}site`, LIMITS.siteChars).toLowerCase();
  if (!SITE_NAME.test(site)) fail(`${prefix}site`, 'must be a host name');

  const name = string(input.name, `${prefix}name`, LIMITS.nameChars);
  if (name !== PAGEVIEW && name !== ENGAGEMENT && !CUSTOM_NAME.test(name)) {
    fail(`${prefix}name`, 'must be pageview, engagement, or 1-64 characters of [A-Za-z0-9 _.:-]');
  }

  const url = httpUrl(input.url, `${prefix}url`);
  const event: IncomingEvent = { site, name, url: input.url as string };
  if (input.referrer !== undefined && input.referrer !== null && input.referrer !== '') {
    event.referrer = string(input.referrer, `${prefix}referrer`, LIMITS.referrerChars);
  }
  if (input.eventId !== undefined) event.eventId = uuid(input.eventId, `${prefix}eventId`);
  if (input.screenWidth !== undefined) event.screenWidth = integer(input.screenWidth, `${prefix}screenWidth`, LIMITS.screenWidth);
  if (input.props !== undefined) event.props = props(input.props, `${prefix}props`);

  if (name === ENGAGEMENT) {
    if (input.pageviewId === undefined && options.engagementWithoutPageview !== true)
      fail(`${prefix}pageviewId`, 'is required for engagement');
    if (input.durationMs === undefined) fail(`${prefix}durationMs`, 'is required for engagement');
  }
  if (input.pageviewId !== undefined) event.pageviewId = uuid(input.pageviewId, `${prefix}pageviewId`);
  if (input.durationMs !== undefined) event.durationMs = integer(input.durationMs, `${prefix}durationMs`, LIMITS.durationMs);
  if (input.scrollDepth !== undefined) event.scrollDepth = integer(input.scrollDepth, `${prefix}scrollDepth`, LIMITS.scrollDepth);
  serverFields(input, event, prefix, options);
  return { event, url };
}

/**
 * Parses and validates a request body: one event object or a non-empty array of at most
 * `LIMITS.batchEvents`, each with its parsed `url` (the collector enriches from it). Throws
 * `ValidationError` for anything else.
 */
export function parseEventBatch(body: string, options: ValidateOptions = {}): ParsedEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('body: must be valid JSON');
  }
  if (!Array.isArray(json)) return [checkEvent(json, '', options)];
  if (json.length === 0) throw new ValidationError('body: the array is empty');
  if (json.length > LIMITS.batchEvents) throw new ValidationError(`body: at most ${LIMITS.batchEvents} events per request`);
  const out: ParsedEvent[] = new Array(json.length);
  for (let i = 0; i < json.length; i++) out[i] = checkEvent(json[i], `${i}.`, options);
  return out;
}
