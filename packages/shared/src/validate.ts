/**
 * The one validation schema of SPEC §4, shared by the collector (at the edge) and the
 * ingester (on decode). Hand-written rather than generated: it runs on every request,
 * reads only the fields it knows (so `__proto__` and friends are never copied), and
 * names the offending field in its error.
 */
import { ValidationError } from './errors.ts';
import type { IncomingEvent, PropValue } from './event.ts';
import { ENGAGEMENT, LIMITS, PAGEVIEW } from './names.ts';

const HOST = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
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

function string(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (value.length === 0 || value.length > max) fail(field, `must be 1 to ${max} characters`);
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

function httpUrl(value: unknown, field: string): string {
  const url = string(value, field, LIMITS.urlChars);
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) fail(field, 'must be an absolute http(s) URL');
  return url;
}

function props(value: unknown, field: string): Record<string, PropValue> {
  if (!isObject(value)) fail(field, 'must be an object');
  const keys = Object.keys(value);
  if (keys.length > LIMITS.propsKeys) fail(field, `must have at most ${LIMITS.propsKeys} keys`);
  const out: Record<string, PropValue> = {};
  for (const key of keys) {
    const at = `${field}.${key.slice(0, 64)}`;
    if (key.length === 0 || key.length > LIMITS.propKeyChars) fail(at, `keys must be 1 to ${LIMITS.propKeyChars} characters`);
    if (FORBIDDEN_KEYS.has(key)) fail(at, 'is a reserved key');
    const v = value[key];
    if (typeof v === 'string') {
      if (v.length > LIMITS.propValueChars) fail(at, `must be at most ${LIMITS.propValueChars} characters`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(at, 'must be a finite number');
    } else if (typeof v !== 'boolean') {
      fail(at, 'must be a string, number or boolean');
    }
    out[key] = v;
  }
  return out;
}

/** Validates one event; `prefix` names its place in an array (`"3."`). */
export function validateEvent(input: unknown, prefix = ''): IncomingEvent {
  if (!isObject(input)) throw new ValidationError(`${prefix || 'body'}: must be an event object`, prefix.slice(0, -1) || undefined);
  const f = (name: string) => prefix + name;

  const site = string(input.site, f('site'), LIMITS.siteChars).toLowerCase();
  if (!HOST.test(site)) fail(f('site'), 'must be a host name');

  const name = string(input.name, f('name'), LIMITS.nameChars);
  if (name !== PAGEVIEW && name !== ENGAGEMENT && !CUSTOM_NAME.test(name)) {
    fail(f('name'), 'must be pageview, engagement, or 1-64 characters of [A-Za-z0-9 _.:-]');
  }

  const event: IncomingEvent = { site, name, url: httpUrl(input.url, f('url')) };
  if (input.referrer !== undefined && input.referrer !== null && input.referrer !== '') {
    event.referrer = string(input.referrer, f('referrer'), LIMITS.referrerChars);
  }
  if (input.eventId !== undefined) event.eventId = uuid(input.eventId, f('eventId'));
  if (input.screenWidth !== undefined) event.screenWidth = integer(input.screenWidth, f('screenWidth'), LIMITS.screenWidth);
  if (input.props !== undefined) event.props = props(input.props, f('props'));

  if (name === ENGAGEMENT) {
    if (input.pageviewId === undefined) fail(f('pageviewId'), 'is required for engagement');
    if (input.durationMs === undefined) fail(f('durationMs'), 'is required for engagement');
  }
  if (input.pageviewId !== undefined) event.pageviewId = uuid(input.pageviewId, f('pageviewId'));
  if (input.durationMs !== undefined) event.durationMs = integer(input.durationMs, f('durationMs'), LIMITS.durationMs);
  return event;
}

/**
 * Parses and validates a request body: one event object or a non-empty array of at most
 * `LIMITS.batchEvents`. Throws `ValidationError` for anything else.
 */
export function parseEvents(body: string): IncomingEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('body: must be valid JSON');
  }
  if (!Array.isArray(json)) return [validateEvent(json)];
  if (json.length === 0) throw new ValidationError('body: the array is empty');
  if (json.length > LIMITS.batchEvents) throw new ValidationError(`body: at most ${LIMITS.batchEvents} events per request`);
  return json.map((item, i) => validateEvent(item, `${i}.`));
}
