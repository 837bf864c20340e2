/**
 * Turns a validated event and its request into the row the queue carries. The raw IP and
 * User-Agent are used here and dropped: only their salted hash and the parsed agent leave.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingEvent, NIL_UUID, type StoredEvent, toClickHouseTime } from '@tidemark/shared';
import { classifyReferrer } from './referrer.ts';
import type { Agent } from './user-agent.ts';
import { type SaltSource, type Sessions, visitorId } from './visitor.ts';

export interface RequestFacts {
  ip: string;
  agent: Agent;
  userAgent: string;
  country: string;
  nowMs: number;
}

export interface Enricher {
  enrich(event: IncomingEvent, facts: RequestFacts): StoredEvent;
}

const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;
const CLICK_IDS = ['gclid', 'fbclid', 'msclkid'] as const;

export function createEnricher(salts: SaltSource, sessions: Sessions): Enricher {
  return {
    enrich(event, { ip, agent, userAgent, country, nowMs }) {
      const url = new URL(event.url);
      const params = url.searchParams;
      const host = url.hostname.toLowerCase();
      const referrer = classifyReferrer(event.referrer, host);
      const visitor = visitorId(salts.saltFor(nowMs), event.site, ip, userAgent);
      const props: Record<string, string> = {};
      for (const [key, value] of Object.entries(event.props ?? {})) props[key] = String(value);
      let clickId = '';
      for (const id of CLICK_IDS) {
        const v = params.get(id);
        if (v) {
          clickId = `${id}:${v.slice(0, 256)}`;
          break;
        }
      }
      const utm = (key: (typeof UTM)[number]) => (params.get(key) ?? '').slice(0, 256);
      return {
        event_id: event.eventId ?? randomUUID(),
        site: event.site,
        name: event.name,
        timestamp: toClickHouseTime(nowMs),
        visitor_id: visitor,
        session_id: sessions.sessionId(visitor, nowMs),
        pageview_id: event.pageviewId ?? NIL_UUID,
        url: event.url,
        host,
        path: url.pathname,
        query: url.search,
        referrer: event.referrer ?? '',
        referrer_host: referrer.host,
        referrer_source: referrer.source,
        utm_source: utm('utm_source'),
        utm_medium: utm('utm_medium'),
        utm_campaign: utm('utm_campaign'),
        utm_term: utm('utm_term'),
        utm_content: utm('utm_content'),
        click_id: clickId,
        country,
        device: agent.device,
        browser: agent.browser,
        browser_version: agent.browserVersion,
        os: agent.os,
        os_version: agent.osVersion,
        screen_width: event.screenWidth ?? 0,
        duration_ms: event.durationMs ?? 0,
        props,
      };
    },
  };
}
