/**
 * Turns a validated event and its request into the row the queue carries. The raw IP and
 * User-Agent are used here and dropped: only their salted hash and the parsed agent leave.
 * A server-side event's `timestamp` (SPEC §11) is its time, and picks the salt of its own day.
 */
import { randomUUID } from 'node:crypto';
import { classifyReferrer, NIL_UUID, type ParsedEvent, type StoredEvent, toClickHouseTime } from '@tidemark/shared';
import type { Agent } from './user-agent.ts';
import { createEventSalts, createVisitorIds, type SaltSource, visitorId } from './visitor.ts';

/** What enrichment knows of the visitor: from the request, or a server-side event's own `ip` and `userAgent`. */
export interface RequestFacts {
  ip: string;
  agent: Agent;
  userAgent: string;
  country: string;
  /** Region and city (`geo/city.ts`): '' when unknown, off, or not in `country`. */
  region: string;
  city: string;
  /** Receive time. */
  nowMs: number;
}

export interface Enricher {
  enrich(parsed: ParsedEvent, facts: RequestFacts): StoredEvent;
}

/** Query parameters that name the ad click that brought the visitor, in order of preference. */
export const CLICK_IDS = ['gclid', 'fbclid', 'msclkid'] as const;
const PARAM_CHARS = 256;

/** `toClickHouseTime`, formatting the date and time of day once per second. */
let secondMs = -1;
let secondText = '';
function receiveTime(nowMs: number): string {
  const ms = nowMs % 1000;
  if (nowMs - ms !== secondMs) {
    secondMs = nowMs - ms;
    secondText = toClickHouseTime(secondMs).slice(0, 20);
  }
  return `${secondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/**
 * A URL without its userinfo (`https://user:pass@host/` → `https://host/`): credentials a
 * page or referrer URL carries are never stored or queued. Only a URL that has them is
 * re-serialized (WHATWG), so every other URL is stored as sent.
 */
export function withoutCredentials(text: string, parsed: URL | null = null): string {
  if (parsed === null) {
    if (!text.includes('@')) return text; // no userinfo without an '@': skip the parse
    parsed = URL.parse(text);
    if (parsed === null) return text; // not a URL: no authority to hold credentials
  }
  if (parsed.username === '' && parsed.password === '') return text;
  const clean = new URL(parsed.href);
  clean.username = '';
  clean.password = '';
  return clean.href;
}

function param(params: URLSearchParams, key: string): string {
  const value = params.get(key);
  return value === null ? '' : value.slice(0, PARAM_CHARS);
}

export function createEnricher(salts: SaltSource): Enricher {
  const visitorIds = createVisitorIds();
  const eventSalt = createEventSalts(salts);
  return {
    enrich({ event, url, path }, { ip, agent, userAgent, country, region, city, nowMs }) {
      const host = url.hostname.toLowerCase();
      const hasQuery = url.search.length > 1;
      const params = url.searchParams;
      const referrer = classifyReferrer(event.referrer, host);
      const timeMs = event.timeMs ?? nowMs;
      const today = salts.saltFor(nowMs);
      const salt = timeMs === nowMs ? today : eventSalt(timeMs, nowMs);
      // Ids are remembered for today's salt only, so backdated events leave that memory alone.
      const visitor = salt === today ? visitorIds(today, event.site, ip, userAgent) : visitorId(salt, event.site, ip, userAgent);
      const props: Record<string, string> = {};
      if (event.props) for (const key of Object.keys(event.props)) props[key] = String(event.props[key]);
      let clickId = '';
      if (hasQuery) {
        for (const id of CLICK_IDS) {
          const v = params.get(id);
          if (v) {
            clickId = `${id}:${v.slice(0, PARAM_CHARS)}`;
            break;
          }
        }
      }
      return {
        event_id: event.eventId ?? randomUUID(),
        site: event.site,
        name: event.name,
        timestamp: timeMs === nowMs ? receiveTime(nowMs) : toClickHouseTime(timeMs),
        visitor_id: visitor,
        session_id: '0', // visits are cut by the ingester (docs/storage.md); the column stays for the wire format
        pageview_id: event.pageviewId ?? NIL_UUID,
        url: withoutCredentials(event.url, url),
        host,
        path: path ?? url.pathname,
        query: url.search,
        referrer: event.referrer === undefined ? '' : withoutCredentials(event.referrer),
        referrer_host: referrer.host,
        referrer_source: referrer.source,
        utm_source: hasQuery ? param(params, 'utm_source') : '',
        utm_medium: hasQuery ? param(params, 'utm_medium') : '',
        utm_campaign: hasQuery ? param(params, 'utm_campaign') : '',
        utm_term: hasQuery ? param(params, 'utm_term') : '',
        utm_content: hasQuery ? param(params, 'utm_content') : '',
        click_id: clickId,
        country,
        device: agent.device,
        browser: agent.browser,
        browser_version: agent.browserVersion,
        os: agent.os,
        os_version: agent.osVersion,
        screen_width: event.screenWidth ?? 0,
        duration_ms: event.durationMs ?? 0,
        scroll_depth: event.scrollDepth ?? 0,
        props,
        region,
        city,
      };
    },
  };
}
