import { TidemarkValidationError } from './errors.js';
import type { ServerEvent } from './types.js';

/** An event as it will be sent: its JSON (made once, with its id) and that JSON's size in bytes. */
export interface WireEvent {
  event: ServerEvent;
  json: string;
  bytes: number;
}

const encoder = new TextEncoder();

/**
 * Checks what a program can get wrong in its own code — an event's required fields and its
 * `timestamp` — and gives it an id, so a retried event is stored once. The collector checks
 * everything else (its `400` names the event and the field).
 */
export function wireEvent(event: ServerEvent): WireEvent {
  if (typeof event !== 'object' || event === null) throw new TidemarkValidationError('must be an object', 'event');
  for (const field of ['site', 'name', 'url'] as const) {
    if (typeof event[field] !== 'string' || event[field] === '') throw new TidemarkValidationError('is required (a string)', field);
  }
  const { site, name, url, referrer, props, ip, userAgent, pageviewId, durationMs, screenWidth } = event;
  const eventId = event.eventId ?? crypto.randomUUID();
  const json = JSON.stringify({
    site,
    name,
    url,
    referrer,
    props,
    timestamp: timestampOf(event.timestamp),
    ip,
    userAgent,
    eventId,
    pageviewId,
    durationMs,
    screenWidth,
  });
  return { event: { ...event, eventId }, json, bytes: encoder.encode(json).length };
}

/** ISO 8601 in UTC (a string is sent as given: the collector reads any ISO 8601 with a zone). */
function timestampOf(timestamp: ServerEvent['timestamp']): string | undefined {
  if (timestamp === undefined || typeof timestamp === 'string') return timestamp;
  const date = typeof timestamp === 'number' ? new Date(timestamp) : timestamp;
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new TidemarkValidationError('must be a Date, epoch milliseconds or an ISO 8601 string', 'timestamp');
  return date.toISOString();
}
