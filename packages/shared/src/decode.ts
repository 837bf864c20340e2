/**
 * Decodes a queue message back into a `StoredEvent`, checking every column's type, so a
 * message that was not produced by a collector of this version goes to the dead-letter
 * queue instead of failing a whole insert.
 */
import { ValidationError } from './errors.ts';
import type { StoredEvent } from './event.ts';

const COLUMNS: Record<keyof StoredEvent, 'string' | 'number' | 'map'> = {
  event_id: 'string',
  site: 'string',
  name: 'string',
  timestamp: 'string',
  visitor_id: 'string',
  session_id: 'string',
  pageview_id: 'string',
  url: 'string',
  host: 'string',
  path: 'string',
  query: 'string',
  referrer: 'string',
  referrer_host: 'string',
  referrer_source: 'string',
  utm_source: 'string',
  utm_medium: 'string',
  utm_campaign: 'string',
  utm_term: 'string',
  utm_content: 'string',
  click_id: 'string',
  country: 'string',
  device: 'string',
  browser: 'string',
  browser_version: 'string',
  os: 'string',
  os_version: 'string',
  screen_width: 'number',
  duration_ms: 'number',
  props: 'map',
};
const ENTRIES = Object.entries(COLUMNS) as [keyof StoredEvent, 'string' | 'number' | 'map'][];
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function checkStoredEvent(value: unknown): StoredEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('message: must be an event object');
  }
  const record = value as Record<string, unknown>;
  for (const [column, type] of ENTRIES) {
    const v = record[column];
    const ok =
      type === 'map'
        ? typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
        : type === 'number'
          ? typeof v === 'number' && Number.isInteger(v) && v >= 0
          : typeof v === 'string';
    if (!ok) throw new ValidationError(`${column}: must be a ${type === 'map' ? 'string map' : type}`, column);
  }
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
