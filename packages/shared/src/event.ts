/**
 * The one event type of Tidemark, in its two shapes:
 * - `IncomingEvent`: what a browser sends (SPEC §4), after validation, plus the fields only
 *   a server-side sender with an `events:write` key may add (SPEC §11);
 * - `StoredEvent`: what the collector produces to the queue and the ingester inserts,
 *   one key per column of `analytics.events` (snake_case, no raw IP or User-Agent).
 */

export type PropValue = string | number | boolean;

export interface IncomingEvent {
  site: string;
  name: string;
  url: string;
  referrer?: string;
  eventId?: string;
  pageviewId?: string;
  durationMs?: number;
  /** For `engagement`: how far down the page the visitor scrolled, in percent (0 … 100). */
  scrollDepth?: number;
  screenWidth?: number;
  props?: Record<string, PropValue>;
  /** Server-side only: when it happened, in ms since the epoch (from the ISO 8601 `timestamp`). */
  timeMs?: number;
  /** Server-side only: the visitor's IP address (for the country, region, city and the visitor id; never stored). */
  ip?: string;
  /** Server-side only: the visitor's User-Agent (device, browser, OS, bot filter, visitor id; never stored). */
  userAgent?: string;
}

export interface StoredEvent {
  event_id: string;
  site: string;
  name: string;
  /** Event time, UTC, `YYYY-MM-DD hh:mm:ss.sss` (ClickHouse DateTime64(3) text): the receive time, or a server-side event's `timestamp`. */
  timestamp: string;
  visitor_id: string;
  session_id: string;
  pageview_id: string;
  url: string;
  host: string;
  path: string;
  query: string;
  referrer: string;
  referrer_host: string;
  referrer_source: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  click_id: string;
  country: string;
  device: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  screen_width: number;
  duration_ms: number;
  props: Record<string, string>;
  /** An engagement's scroll depth in percent (0 … 100; 0 when none was sent). Schema version 2. */
  scroll_depth: number;
  /** The region (e.g. "California") and city of the client's IP address, '' when unknown. Schema version 3. */
  region: string;
  city: string;
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The one time formatter: ClickHouse DateTime64(3) text, UTC (`YYYY-MM-DD hh:mm:ss.sss`), for a time or ms since the epoch. */
export function toClickHouseTime(time: Date | number): string {
  return new Date(time).toISOString().replace('T', ' ').slice(0, 23);
}

/** A complete row with neutral values (a `pageview` of `/`), for tests and fixtures; `fields` override. */
export function storedEvent(fields: Partial<StoredEvent> = {}): StoredEvent {
  return {
    event_id: NIL_UUID,
    site: 'unit.example',
    name: 'pageview',
    timestamp: '2026-01-01 00:00:00.000',
    visitor_id: '1',
    session_id: '1',
    pageview_id: NIL_UUID,
    url: 'https://unit.example/',
    host: 'unit.example',
    path: '/',
    query: '',
    referrer: '',
    referrer_host: '',
    referrer_source: 'direct',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    utm_term: '',
    utm_content: '',
    click_id: '',
    country: '',
    device: 'desktop',
    browser: 'Chrome',
    browser_version: '130',
    os: 'Linux',
    os_version: '',
    screen_width: 0,
    duration_ms: 0,
    props: {},
    scroll_depth: 0,
    region: '',
    city: '',
    ...fields,
  };
}
