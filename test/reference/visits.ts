/**
 * The reference cut of visits (SPEC §10), in plain TypeScript and as plainly as possible: a
 * visitor's events on a site sorted by (time, event id), a new visit wherever the gap to the
 * previous event exceeds 30 minutes. Independent of the ingester's incremental cutter, which
 * the tests compare with it.
 */
import { channelOf, type StoredEvent, sourceName } from '@tidemark/shared';

export const GAP_MS = 30 * 60_000;

export interface RefEvent extends StoredEvent {
  t: number;
}

export interface RefVisit {
  site: string;
  visitorId: string;
  firstAt: number;
  lastAt: number;
  events: RefEvent[];
  /** The event whose attributes the visit takes: the first pageview, else the first custom event, else the first event. */
  entryEvent: RefEvent;
  entryPage: string;
  exitPage: string;
  pageviews: number;
  customEvents: number;
  engagements: number;
  engagedMs: number;
  bounce: boolean;
  counted: boolean;
  durationMs: number;
  source: string;
  channel: string;
}

export function withTime(e: StoredEvent): RefEvent {
  return { ...e, t: Date.parse(`${e.timestamp.replace(' ', 'T')}Z`) };
}

const byTime = (a: RefEvent, b: RefEvent) => a.t - b.t || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
const rank = (e: RefEvent) => (e.name === 'pageview' ? 0 : e.name === 'engagement' ? 2 : 1);

export function cutVisits(events: readonly StoredEvent[]): RefVisit[] {
  const byVisitor = new Map<string, RefEvent[]>();
  for (const e of events) {
    const key = `${e.site}\0${e.visitor_id}`;
    const list = byVisitor.get(key) ?? [];
    list.push(withTime(e));
    byVisitor.set(key, list);
  }
  const visits: RefVisit[] = [];
  for (const list of byVisitor.values()) {
    list.sort(byTime);
    let run: RefEvent[] = [];
    for (const e of list) {
      const last = run[run.length - 1];
      if (last && e.t - last.t > GAP_MS) {
        visits.push(visitOf(run));
        run = [];
      }
      run.push(e);
    }
    if (run.length > 0) visits.push(visitOf(run));
  }
  return visits;
}

function visitOf(events: RefEvent[]): RefVisit {
  const first = events[0] as RefEvent;
  const pageviews = events.filter((e) => e.name === 'pageview');
  const custom = events.filter((e) => e.name !== 'pageview' && e.name !== 'engagement');
  const engagements = events.filter((e) => e.name === 'engagement');
  const entryEvent = [...events].sort((a, b) => rank(a) - rank(b) || byTime(a, b))[0] as RefEvent;
  return {
    site: first.site,
    visitorId: first.visitor_id,
    firstAt: first.t,
    lastAt: (events[events.length - 1] as RefEvent).t,
    events,
    entryEvent,
    entryPage: pageviews[0]?.path ?? '',
    exitPage: pageviews[pageviews.length - 1]?.path ?? '',
    pageviews: pageviews.length,
    customEvents: custom.length,
    engagements: engagements.length,
    engagedMs: engagements.reduce((n, e) => n + e.duration_ms, 0),
    bounce: pageviews.length === 1 && custom.length === 0,
    counted: pageviews.length + custom.length > 0,
    durationMs: (events[events.length - 1] as RefEvent).t - first.t,
    source: sourceName(entryEvent.referrer_host, entryEvent.utm_source, entryEvent.referrer_source),
    channel: channelOf({
      referrerHost: entryEvent.referrer_host,
      referrerClass: entryEvent.referrer_source,
      utmSource: entryEvent.utm_source,
      utmMedium: entryEvent.utm_medium,
      clickId: entryEvent.click_id,
    }),
  };
}

const clickHouseTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/** One line per visit, as `visits` rows read back give it: for comparing tables with the reference. */
export function visitSignature(v: RefVisit): string {
  return [
    v.site,
    v.visitorId,
    clickHouseTime(v.firstAt),
    clickHouseTime(v.lastAt),
    v.pageviews,
    v.customEvents,
    v.engagements,
    v.entryPage,
    v.exitPage,
    v.source,
    v.channel,
  ].join('|');
}

/** The `visits` columns a signature is made of, in its order: a SELECT list. */
export const SIGNATURE_COLUMNS =
  'site, visitor_id, first_at, last_at, pageviews, events, engagements, entry_page, exit_page, source, channel';

/** The signature of a `visits` row (read back with `SIGNATURE_COLUMNS`, or as the ingester writes it). */
export function rowSignature(row: Record<string, unknown>): string {
  return SIGNATURE_COLUMNS.split(', ')
    .map((column) => row[column])
    .join('|');
}
