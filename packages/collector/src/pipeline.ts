/**
 * The Events API (SPEC §4) without HTTP framework: precheck (rate limit, content type,
 * declared size) → body within limits → UTF-8 → validate → accepted sites → bot filter →
 * the sites' exclusions → enrich → produce. Both the raw `node:http` fast path and the Hono
 * route call it, so the rules live once. Every outcome is a status, headers and a small JSON body.
 *
 * A request with `Authorization` is server-side (SPEC §11): its key is checked before the
 * body (401/403, rate limit per key instead of per IP), its events may carry `timestamp`,
 * `ip` and `userAgent`, and the key's sites bound them (403). Browsers' events may not.
 */

import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import {
  createFailureLog,
  type KeyGrant,
  LIMITS,
  type Logger,
  type ParsedEvent,
  QueueOutcomeUnknownError,
  type QueueProducer,
  QueueUnavailableError,
  type RateLimiter,
  type StoredEvent,
  ValidationError,
} from '@tidemark/shared';
import type { KeyCheck, ServerKeyCheck } from './auth/server-key.ts';
import type { BodyResult } from './body/read.ts';
import { declaredTooLarge } from './body/read.ts';
import { parseEventsBody } from './dialects/events-body.ts';
import { plausibleReply, UMAMI_BOT, UMAMI_EXCLUDED, umamiReply } from './dialects/replies.ts';
import { parseUmamiBody, type UmamiWebsites, UnknownWebsiteError } from './dialects/umami.ts';
import type { Enricher } from './enrich.ts';
import type { LocationOf } from './geo/city.ts';
import type { CollectorMetrics } from './metrics.ts';
import { serverFacts, UNKNOWN_AGENT } from './server-facts.ts';
import type { SiteGate } from './sites/gate.ts';
import type { SiteRules } from './sites/rules.ts';
import type { Agent } from './user-agent.ts';

export interface Outcome {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string | null;
}

export const CORS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
};
/** Answers to the POST itself need only the origin header; the rest is for preflights. */
const ORIGIN = { 'Access-Control-Allow-Origin': '*' };
const JSON_CORS = { ...ORIGIN, 'Content-Type': 'application/json; charset=utf-8' };
const ACCEPTED: Outcome = { status: 202, headers: ORIGIN, body: null };
const BOT: Outcome = { status: 202, headers: { ...ORIGIN, 'X-Tidemark-Dropped': 'bot' }, body: null };
/** Some events of a server-side batch were bots (judged per event): the rest were stored. */
const someBots = (dropped: number): Outcome => ({
  status: 202,
  headers: { ...ORIGIN, 'X-Tidemark-Dropped': 'bot', 'X-Tidemark-Dropped-Events': String(dropped) },
  body: null,
});
/** Some or all events of the request matched their site's exclusions (SPEC §11) and were dropped. */
const EXCLUDED: Outcome = { status: 202, headers: { ...ORIGIN, 'X-Tidemark-Dropped': 'excluded' }, body: null };
export const PREFLIGHT: Outcome = { status: 204, headers: CORS, body: null };
const QUEUE_RETRY_SECONDS = '5';
const UNAVAILABLE: Outcome = {
  status: 503,
  headers: { ...JSON_CORS, 'Retry-After': QUEUE_RETRY_SECONDS },
  body: '{"error":"the queue is unavailable, retry later"}',
};
/**
 * The queue neither took nor refused the events in time (a Kafka send whose answer did not
 * come): they may be stored. A retry is safe — an event id is stored once (SPEC §4).
 */
const UNCONFIRMED: Outcome = {
  status: 504,
  headers: { ...JSON_CORS, 'Retry-After': QUEUE_RETRY_SECONDS },
  body: '{"error":"the queue did not confirm the events in time; they may be stored: retry with the same eventId"}',
};
/** The collector holds as many bytes of arriving requests as it may (`COLLECTOR_BUFFER_MB`): retry; the connection closes. */
export const SERVER_BUSY: Outcome = {
  status: 503,
  headers: { ...JSON_CORS, 'Retry-After': '1' },
  body: '{"error":"the collector is busy receiving other requests, retry later"}',
};
/** A request that took longer than the server's headers or request timeout to arrive (as Node answers it). */
export const REQUEST_TIMEOUT: Outcome = { status: 408, headers: {}, body: null };
const UNSUPPORTED: Outcome = {
  status: 415,
  headers: JSON_CORS,
  body: '{"error":"Content-Type must be text/plain or application/json","field":"Content-Type"}',
};
const CONTENT_TYPES = new Set(['text/plain', 'application/json']);
/** A body holding an array of events (what `parseEventBatch` reads as one). */
const ARRAY = /^\s*\[/;

function fail(status: number, error: string, field?: string, headers: Record<string, string> = JSON_CORS): Outcome {
  return { status, headers, body: JSON.stringify(field === undefined ? { error } : { error, field }) };
}

function tooLarge(limit: number): Outcome {
  return fail(413, `body: larger than ${limit} bytes`, 'body');
}

export function contentTypeOk(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  return CONTENT_TYPES.has(type);
}

/** The queue adapters say a failed send with this one error type: the queue, not the request, failed. */
function isQueueFault(error: unknown): boolean {
  return error instanceof QueueUnavailableError;
}

function refusedKey(check: Exclude<KeyCheck, { ok: true }>): Outcome {
  const headers: Record<string, string> = { ...JSON_CORS };
  if (check.retryAfter !== undefined) headers['Retry-After'] = String(check.retryAfter);
  if (check.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  return fail(check.status, check.error, check.status === 429 || check.status === 503 ? undefined : 'Authorization', headers);
}

export interface PipelineOptions {
  producer: QueueProducer;
  enricher: Enricher;
  agentOf: (userAgent: string) => Agent;
  /** The client's country (and region and city: `geo/city.ts`). */
  locationOf: LocationOf;
  /** Events per client IP, for browser requests (and failed key checks). */
  rateLimiter: RateLimiter;
  /** Events per API key, for server-side requests (the same limiter the key check reads). */
  keyLimiter: RateLimiter;
  /** Checks the key of a server-side request (one with `Authorization`). */
  serverKey: ServerKeyCheck;
  /** Which sites are accepted, and their exclusions (`SITES` and the sites registry). */
  sites: SiteGate;
  /** Umami website ids of the sites (SPEC §13, `/api/send`): the registry's `umamiWebsiteId`s. */
  umamiWebsites: UmamiWebsites;
  metrics: CollectorMetrics;
  log: Logger;
}

/** Which API a body came to: the Events API (Tidemark's and Plausible's events) or Umami's `/api/send`. */
export type EventApi = 'events' | 'umami';

/** Events of a request not stored: bots, and events their site's exclusions drop. */
interface Dropped {
  bots: number;
  excluded: number;
}

/** A validated body: its events, and how the request is answered once they were taken. */
interface Taken {
  batch: ParsedEvent[];
  answer(rows: StoredEvent[], dropped: Dropped, nowMs: number): Outcome;
  /** Nothing to store (Umami's `identify`): answered from this one event's visitor, never produced. */
  probe?: boolean;
  /** Each event's place in the body's array, when they differ (a Plausible event of several sites is several events). */
  indices?: number[];
}

export interface EventPipeline {
  /** Checks that need no body; an outcome means answer now, `null` means read the body. */
  precheck(headers: IncomingHttpHeaders, ip: string): Outcome | null;
  /** Everything after the body was read. Rejects only on a real fault (a 500). */
  process(read: BodyResult, headers: IncomingHttpHeaders, ip: string, api?: EventApi): Promise<Outcome>;
}

/** Tidemark's answer: 202, and whether events of the request were excluded or dropped as bots (how many bots). */
function tidemarkAnswer(rows: StoredEvent[], { bots, excluded }: Dropped): Outcome {
  if (excluded > 0) return EXCLUDED;
  if (rows.length === 0) return BOT;
  return bots > 0 ? someBots(bots) : ACCEPTED;
}

export function createEventPipeline(options: PipelineOptions): EventPipeline {
  const { producer, enricher, agentOf, locationOf, rateLimiter, keyLimiter, serverKey, sites, umamiWebsites, metrics, log } = options;
  const logFailure = createFailureLog(log);
  /** Adds events to the sender's limit: its key's for a server-side request, else its IP's. */
  const count = (grant: KeyGrant | null, ip: string, events: number) => {
    if (grant === null) rateLimiter.count(ip, events);
    else keyLimiter.count(grant.id, events);
  };
  // While the queue is down every request fails the same way: one log line per second says so.
  let refused = 0;
  let lastWarnMs = 0;
  const warnQueue = (error: Error, events: number) => {
    refused += events;
    const now = Date.now();
    if (now - lastWarnMs < 1000) return;
    log.warn({ err: error, refusedEvents: refused }, 'queue_unavailable');
    lastWarnMs = now;
    refused = 0;
  };
  return {
    precheck(headers, ip) {
      // A server-side request is limited per key once its key is known (in `process`).
      const retryAfter = headers.authorization === undefined ? rateLimiter.retryAfter(ip) : 0;
      if (retryAfter > 0) {
        metrics.dropped('rate_limited');
        return fail(429, 'too many requests, retry later', undefined, { ...JSON_CORS, 'Retry-After': String(retryAfter) });
      }
      const browser = headers.authorization === undefined;
      if (!contentTypeOk(headers['content-type'])) {
        if (browser) rateLimiter.count(ip, 1);
        metrics.dropped('unsupported_type');
        return UNSUPPORTED;
      }
      if (declaredTooLarge(headers['content-length'])) {
        if (browser) rateLimiter.count(ip, 1);
        metrics.dropped('too_large');
        return tooLarge(LIMITS.batchBytes);
      }
      return null;
    },

    async process(read, headers, ip, api = 'events') {
      let grant: KeyGrant | null = null;
      if (headers.authorization !== undefined) {
        const check = await serverKey(headers.authorization, ip);
        if (!check.ok) {
          metrics.dropped(check.status === 429 ? 'rate_limited' : check.status === 503 ? 'key_unavailable' : 'unauthorized');
          if (check.fault !== undefined) log.warn({ err: check.fault }, 'key_check_failed');
          else if (check.status === 401 || check.status === 429) logFailure(ip, check.error, 'events');
          return refusedKey(check);
        }
        grant = check.grant;
      }
      if (!read.ok) {
        if ('busy' in read) {
          metrics.dropped('server_busy');
          return SERVER_BUSY;
        }
        count(grant, ip, 1);
        metrics.dropped('too_large');
        return tooLarge(read.limit);
      }
      if (!isUtf8(read.body)) {
        count(grant, ip, 1);
        metrics.dropped('invalid');
        return fail(400, 'body: must be UTF-8', 'body');
      }
      const nowMs = Date.now();
      const text = read.body.toString('utf8');
      let taken: Taken;
      try {
        taken = await take(text, api, grant === null ? {} : { server: true, nowMs });
      } catch (error) {
        if (error instanceof UnknownWebsiteError) {
          count(grant, ip, 1);
          metrics.dropped('forbidden_site');
          return fail(403, error.message, error.field);
        }
        if (!(error instanceof ValidationError)) throw error;
        count(grant, ip, 1);
        metrics.dropped('invalid');
        return fail(400, error.message, error.field ?? 'body');
      }
      const { batch } = taken;
      // The rate limits count events: a batch of 100 counts 100 (a refused request counts one).
      count(grant, ip, batch.length);
      const rules = siteRules(batch, grant);
      if (!Array.isArray(rules)) {
        metrics.dropped('forbidden_site', batch.length);
        // In an array, the field names the event as a 400's does (`3.site`), so a sender can drop just that one.
        const index = taken.indices?.[rules.index] ?? rules.index;
        return fail(403, rules.error, ARRAY.test(text) ? `${index}.site` : 'site');
      }
      const { rows, bots, excluded } =
        grant === null ? browserRows(batch, rules, headers, ip, nowMs) : serverRows(batch, rules, headers, ip, nowMs);
      const dropped = { bots, excluded };
      if (taken.probe === true) return taken.answer(rows, dropped, nowMs);
      if (bots > 0) metrics.dropped('bot', bots);
      if (rows.length === 0) return taken.answer(rows, dropped, nowMs);
      const sent = await send(rows);
      return sent === ACCEPTED ? taken.answer(rows, dropped, nowMs) : sent;
    },
  };

  /** The body as events of one API, and how to answer it. */
  async function take(text: string, api: EventApi, validate: { server?: boolean; nowMs?: number }): Promise<Taken> {
    if (api === 'umami') {
      const body = await parseUmamiBody(text, umamiWebsites, validate);
      const answer = (rows: StoredEvent[], dropped: Dropped, nowMs: number) =>
        rows[0] !== undefined ? umamiReply(rows[0].visitor_id, nowMs) : dropped.excluded > 0 ? UMAMI_EXCLUDED : UMAMI_BOT;
      if (body.type === 'event') return { batch: [body.parsed], answer };
      // identify: nothing is stored; the answer names the visitor a pageview of the site would have.
      const url = new URL(`https://${body.site}/`);
      return { batch: [{ event: { site: body.site, name: 'pageview', url: url.href }, url }], answer, probe: true };
    }
    const { batch, dialect, indices } = parseEventsBody(text, validate);
    return {
      batch,
      indices,
      answer: dialect === 'plausible' ? (rows, dropped) => plausibleReply(dropped, rows.length) : tidemarkAnswer,
    };
  }

  /**
   * Each event's site rules, or the first event whose site may not be stored and why: the
   * accepted sites (`SITES`, the registry), then the key's own sites.
   */
  function siteRules(batch: ParsedEvent[], grant: KeyGrant | null): SiteRules[] | { index: number; error: string } {
    const rules: SiteRules[] = new Array(batch.length);
    for (let index = 0; index < batch.length; index++) {
      const site = (batch[index] as ParsedEvent).event.site;
      const found = sites.check(site);
      if (found === null) return { index, error: `site: ${site} is not registered here` };
      if (grant && grant.sites !== 'all' && !grant.sites.includes(site)) {
        return { index, error: `site: the API key may not send events for ${site}` };
      }
      rules[index] = found;
    }
    return rules;
  }

  /** Keeps `parsed` unless its site's exclusions drop it (counted). */
  function kept(rules: SiteRules, parsed: ParsedEvent, ip: string, country: string): boolean {
    const exclusion = rules.exclusion(parsed.url.hostname, parsed.url.pathname, ip, country);
    if (exclusion !== null) metrics.dropped(exclusion);
    return exclusion === null;
  }

  /** A browser's batch: one visitor, known from the request; a bot's batch is dropped whole. */
  function browserRows(batch: ParsedEvent[], rules: SiteRules[], headers: IncomingHttpHeaders, ip: string, nowMs: number) {
    const userAgent = headers['user-agent'] ?? '';
    const agent = agentOf(userAgent);
    if (agent.bot) return { rows: [], bots: batch.length, excluded: 0 };
    const facts = { ip, agent, userAgent, ...locationOf(ip, headers), nowMs };
    const rows: StoredEvent[] = [];
    for (let i = 0; i < batch.length; i++) {
      const parsed = batch[i] as ParsedEvent;
      if (kept(rules[i] as SiteRules, parsed, ip, facts.country)) rows.push(enricher.enrich(parsed, facts));
    }
    return { rows, bots: 0, excluded: batch.length - rows.length };
  }

  /** A server's batch: each event its own visitor (`server-facts.ts`), bots judged and exclusions applied per event. */
  function serverRows(batch: ParsedEvent[], rules: SiteRules[], headers: IncomingHttpHeaders, ip: string, nowMs: number) {
    const request = { ip, agent: UNKNOWN_AGENT, userAgent: headers['user-agent'] ?? '', ...locationOf(ip, headers), nowMs };
    const rows: StoredEvent[] = [];
    let bots = 0;
    for (let i = 0; i < batch.length; i++) {
      const parsed = batch[i] as ParsedEvent;
      const facts = serverFacts(parsed.event, request, agentOf, locationOf);
      if (facts.agent.bot) bots++;
      else if (kept(rules[i] as SiteRules, parsed, facts.ip, facts.country)) rows.push(enricher.enrich(parsed, facts));
    }
    return { rows, bots, excluded: batch.length - bots - rows.length };
  }

  async function send(rows: StoredEvent[]): Promise<Outcome> {
    try {
      await producer.send(rows);
    } catch (error) {
      if (error instanceof QueueOutcomeUnknownError) {
        metrics.dropped('queue_unconfirmed', rows.length);
        warnQueue(error, rows.length);
        return UNCONFIRMED;
      }
      if (!isQueueFault(error)) throw error;
      metrics.dropped('queue_unavailable', rows.length);
      warnQueue(error as Error, rows.length);
      return UNAVAILABLE;
    }
    metrics.accepted.inc(rows.length);
    return ACCEPTED;
  }
}
