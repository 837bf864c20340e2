/**
 * One visit (SPEC §10: a visitor's events on one site with no gap over 30 minutes) as the
 * ingester keeps it, and its row in `visits`. Every field is a function of the visit's SET of
 * events — min/max times, counts, and "first/last by (time, event id)" picks — so the same
 * events give the same row whatever order they arrived in, and two visits merge exactly.
 */
import { channelOf, type StoredEvent, sourceName, toClickHouseTime } from '@tidemark/shared';

export const VISIT_GAP_MS = 30 * 60_000;

/** Where a visit row was last written from (replays skip what a landed batch already applied). */
export interface VisitSource {
  topic: string;
  partition: number;
  offset: bigint;
}

/** The entry event's attributes (the first pageview, else the first custom event, else the first event). */
export type EntryAttributes = Pick<StoredEvent, (typeof ENTRY_KEYS)[number]>;

/** A total order on events: kind rank (pageview, custom, engagement), then time, then id. */
interface Choice {
  rank: number;
  t: number;
  id: string;
}

export interface Visit {
  site: string;
  visitorId: string;
  firstAt: number;
  lastAt: number;
  version: number;
  entryPick: Choice;
  entry: EntryAttributes;
  /** First and last pageview (by time, then id), or null without pageviews. */
  entryPage: { t: number; id: string; path: string } | null;
  exitPage: { t: number; id: string; path: string } | null;
  pageviews: number;
  events: number;
  engagements: number;
  engagedMs: number;
  /** Distinct `name\0path` of the visit's pageviews and custom events. */
  pairs: Set<string>;
  source: VisitSource | null;
}

/**
 * An event id's order key: its first 16 hex digits (64 bits; a UUIDv4 has 60 random ones there).
 * Ties in time are broken by it; stored as a UInt64, it keeps a visit row small.
 */
export function idKey(eventId: string): string {
  return eventId.replaceAll('-', '').slice(0, 16).toLowerCase().padEnd(16, '0');
}

const keyToUInt64 = (key: string) => (key ? BigInt(`0x${key}`).toString() : '0');
const uint64ToKey = (value: string | number) => BigInt(value).toString(16).padStart(16, '0');

function rankOf(name: string): number {
  return name === 'pageview' ? 0 : name === 'engagement' ? 2 : 1;
}

function before(a: Choice, b: Choice): boolean {
  return a.rank !== b.rank ? a.rank < b.rank : a.t !== b.t ? a.t < b.t : a.id < b.id;
}

function earlier(a: { t: number; id: string }, b: { t: number; id: string }): boolean {
  return a.t !== b.t ? a.t < b.t : a.id < b.id;
}

export function eventTime(e: StoredEvent): number {
  return Date.parse(`${e.timestamp.replace(' ', 'T')}Z`);
}

function entryOf(e: StoredEvent): EntryAttributes {
  const entry = {} as Record<string, unknown>;
  for (const key of ENTRY_KEYS) entry[key] = e[key];
  return entry as EntryAttributes;
}

/** A visit of one event. */
export function visitOf(e: StoredEvent, t = eventTime(e)): Visit {
  const v: Visit = {
    site: e.site,
    visitorId: e.visitor_id,
    firstAt: t,
    lastAt: t,
    version: 0,
    entryPick: { rank: rankOf(e.name), t, id: idKey(e.event_id) },
    entry: entryOf(e),
    entryPage: null,
    exitPage: null,
    pageviews: 0,
    events: 0,
    engagements: 0,
    engagedMs: 0,
    pairs: new Set(),
    source: null,
  };
  count(v, e, t);
  return v;
}

function count(v: Visit, e: StoredEvent, t: number): void {
  if (e.name === 'pageview') {
    v.pageviews += 1;
    const page = { t, id: idKey(e.event_id), path: e.path };
    if (v.entryPage === null || earlier(page, v.entryPage)) v.entryPage = page;
    if (v.exitPage === null || earlier(v.exitPage, page)) v.exitPage = page;
  } else if (e.name === 'engagement') {
    v.engagements += 1;
    v.engagedMs += e.duration_ms;
  } else {
    v.events += 1;
  }
  if (e.name !== 'engagement') v.pairs.add(`${e.name}\0${e.path}`);
}

/** Adds an event to a copy of the visit. */
export function withEvent(v: Visit, e: StoredEvent, t = eventTime(e)): Visit {
  const next = cloneVisit(v);
  next.firstAt = Math.min(next.firstAt, t);
  next.lastAt = Math.max(next.lastAt, t);
  const pick = { rank: rankOf(e.name), t, id: idKey(e.event_id) };
  if (before(pick, next.entryPick)) {
    next.entryPick = pick;
    next.entry = entryOf(e);
  }
  count(next, e, t);
  return next;
}

/** The union of two visits (an event bridged the gap between them). */
export function merged(a: Visit, b: Visit): Visit {
  const next = cloneVisit(a);
  next.firstAt = Math.min(a.firstAt, b.firstAt);
  next.lastAt = Math.max(a.lastAt, b.lastAt);
  next.version = Math.max(a.version, b.version);
  if (before(b.entryPick, a.entryPick)) {
    next.entryPick = b.entryPick;
    next.entry = b.entry;
  }
  if (b.entryPage && (next.entryPage === null || earlier(b.entryPage, next.entryPage))) next.entryPage = b.entryPage;
  if (b.exitPage && (next.exitPage === null || earlier(next.exitPage, b.exitPage))) next.exitPage = b.exitPage;
  next.pageviews += b.pageviews;
  next.events += b.events;
  next.engagements += b.engagements;
  next.engagedMs += b.engagedMs;
  for (const p of b.pairs) next.pairs.add(p);
  return next;
}

export function cloneVisit(v: Visit): Visit {
  return { ...v, pairs: new Set(v.pairs) };
}

/** True when the visit counts (SPEC §10 metrics): it has a pageview or a custom event. */
export function counted(v: Visit): boolean {
  return v.pageviews + v.events > 0;
}

/** The `visits` row of a visit (JSONEachRow), with `sign` +1 (the state) or -1 (its cancel). */
export function visitRow(v: Visit, sign: 1 | -1): Record<string, unknown> {
  const e = v.entry;
  return {
    site: v.site,
    visitor_id: v.visitorId,
    first_at: toClickHouseTime(v.firstAt),
    last_at: toClickHouseTime(v.lastAt),
    sign,
    version: v.version,
    entry_page: v.entryPage?.path ?? '',
    exit_page: v.exitPage?.path ?? '',
    entry_page_at: toClickHouseTime(v.entryPage?.t ?? 0),
    entry_page_id: keyToUInt64(v.entryPage?.id ?? ''),
    exit_page_at: toClickHouseTime(v.exitPage?.t ?? 0),
    exit_page_id: keyToUInt64(v.exitPage?.id ?? ''),
    entry_rank: v.entryPick.rank,
    entry_at: toClickHouseTime(v.entryPick.t),
    entry_id: keyToUInt64(v.entryPick.id),
    ...e,
    source: sourceName(e.referrer_host, e.utm_source, e.referrer_source),
    channel: channelOf({
      referrerHost: e.referrer_host,
      referrerClass: e.referrer_source,
      utmSource: e.utm_source,
      utmMedium: e.utm_medium,
      clickId: e.click_id,
    }),
    pageviews: v.pageviews,
    events: v.events,
    engagements: v.engagements,
    engaged_ms: v.engagedMs,
    pairs: [...v.pairs].sort().map((p) => {
      const [name, path] = p.split('\0');
      return { name, path };
    }),
    src_topic: v.source?.topic ?? '',
    src_partition: v.source?.partition ?? 0,
    src_offset: String(v.source?.offset ?? 0n),
  };
}

/**
 * The row as read back from `visits` (JSONEachRow, with `EXACT_64BIT_JSON`: UInt64 columns as
 * decimal strings), as the visit it was written from.
 */
export interface VisitRowRead {
  site: string;
  visitor_id: string | number;
  first_at: string;
  last_at: string;
  version: number;
  entry_page: string;
  exit_page: string;
  entry_page_at: string;
  entry_page_id: string | number;
  exit_page_at: string;
  exit_page_id: string | number;
  entry_rank: number;
  entry_at: string;
  entry_id: string | number;
  pageviews: number;
  events: number;
  engagements: number;
  engaged_ms: string | number;
  pairs: { name: string; path: string }[];
  src_topic: string;
  src_partition: number;
  src_offset: string | number;
}

const ms = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

/**
 * A UInt64 column's decimal text. Read with `EXACT_64BIT_JSON` it is a string; a JSON number is
 * taken only while it is exact (a safe integer): a rounded visitor id would file the visit under
 * another visitor, where no later event of its own finds it.
 */
export function uint64Text(value: string | number, column: string): string {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw new TypeError(`visits.${column}: ${JSON.stringify(value)} is not an exact UInt64 (read 64-bit integers as strings)`);
}

export function visitFromRow(r: VisitRowRead & EntryAttributes): Visit {
  const entry = { ...entryOf(r as unknown as StoredEvent), screen_width: Number(r.screen_width) };
  return {
    site: r.site,
    visitorId: uint64Text(r.visitor_id, 'visitor_id'),
    firstAt: ms(r.first_at),
    lastAt: ms(r.last_at),
    version: Number(r.version),
    entryPick: { rank: Number(r.entry_rank), t: ms(r.entry_at), id: uint64ToKey(uint64Text(r.entry_id, 'entry_id')) },
    entry,
    entryPage:
      r.pageviews > 0
        ? { t: ms(r.entry_page_at), id: uint64ToKey(uint64Text(r.entry_page_id, 'entry_page_id')), path: r.entry_page }
        : null,
    exitPage:
      r.pageviews > 0 ? { t: ms(r.exit_page_at), id: uint64ToKey(uint64Text(r.exit_page_id, 'exit_page_id')), path: r.exit_page } : null,
    pageviews: Number(r.pageviews),
    events: Number(r.events),
    engagements: Number(r.engagements),
    engagedMs: Number(uint64Text(r.engaged_ms, 'engaged_ms')),
    pairs: new Set(r.pairs.map(({ name, path }) => `${name}\0${path}`)),
    source: { topic: r.src_topic, partition: Number(r.src_partition), offset: BigInt(uint64Text(r.src_offset, 'src_offset')) },
  };
}

export const ENTRY_KEYS = [
  'host',
  'referrer_host',
  'referrer_source',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'click_id',
  'country',
  'region',
  'city',
  'device',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'screen_width',
] as const satisfies readonly (keyof StoredEvent)[];

/** The columns read back to rebuild a visit. */
export const VISIT_READ_COLUMNS = [
  'site',
  'visitor_id',
  'first_at',
  'last_at',
  'version',
  'entry_page',
  'exit_page',
  'entry_page_at',
  'entry_page_id',
  'exit_page_at',
  'exit_page_id',
  'entry_rank',
  'entry_at',
  'entry_id',
  'pageviews',
  'events',
  'engagements',
  'engaged_ms',
  'pairs',
  'src_topic',
  'src_partition',
  'src_offset',
  ...ENTRY_KEYS,
].join(', ');
