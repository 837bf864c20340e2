/**
 * Decodes a queue message back into a `StoredEvent`, checking every column's type, so a
 * message that was not produced by a collector of this version goes to the dead-letter
 * queue instead of failing a whole insert.
 */
import { ValidationError } from './errors.ts';
import type { StoredEvent } from './event.ts';

/** The string columns, in table order (`event_id`, `pageview_id` and `timestamp` have their own checks too). */
const STRINGS = [
  'event_id',
  'site',
  'name',
  'timestamp',
  'visitor_id',
  'session_id',
  'pageview_id',
  'url',
  'host',
  'path',
  'query',
  'referrer',
  'referrer_host',
  'referrer_source',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'click_id',
  'country',
  'device',
  'browser',
  'browser_version',
  'os',
  'os_version',
] as const satisfies readonly (keyof StoredEvent)[];
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function count(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function stringMap(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const key in v) if (typeof (v as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

/** Straight-line checks, in column order (the first bad column is the one reported); ~0.3 µs an event. */
export function checkStoredEvent(value: unknown): StoredEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('message: must be an event object');
  }
  const record = value as Record<string, unknown>;
  for (let i = 0; i < STRINGS.length; i++) {
    const column = STRINGS[i] as (typeof STRINGS)[number];
    if (typeof record[column] !== 'string') throw new ValidationError(`${column}: must be a string`, column);
  }
  if (!count(record.screen_width)) throw new ValidationError('screen_width: must be a number', 'screen_width');
  if (!count(record.duration_ms)) throw new ValidationError('duration_ms: must be a number', 'duration_ms');
  if (!stringMap(record.props)) throw new ValidationError('props: must be a string map', 'props');
  if (!UUID.test(record.event_id as string)) throw new ValidationError('event_id: must be a UUID', 'event_id');
  if (!UUID.test(record.pageview_id as string)) throw new ValidationError('pageview_id: must be a UUID', 'pageview_id');
  if (!TIME.test(record.timestamp as string)) throw new ValidationError('timestamp: must be YYYY-MM-DD hh:mm:ss.sss', 'timestamp');
  return record as unknown as StoredEvent;
}

export function decodeStoredEvent(bytes: Buffer | string): StoredEvent {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new ValidationError('message: not valid JSON');
  }
  return checkStoredEvent(json);
}
