/**
 * The Events API (SPEC §4) without HTTP framework: precheck (rate limit, content type,
 * declared size) → body within limits → UTF-8 → validate → accepted sites → bot filter →
 * the sites' exclusions → enrich → produce. Both the raw `node:http` fast path and the Hono route call it, so the
 * rules live once. Every outcome is a status, headers and a small JSON body.
 */

import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import {
  LIMITS,
  type Logger,
  parseEventBatch,
  type QueueProducer,
  QueueUnavailableError,
  type RateLimiter,
  ValidationError,
} from '@tidemark/shared';
import type { BodyResult } from './body/read.ts';
import { declaredTooLarge } from './body/read.ts';
import type { Enricher } from './enrich.ts';
import type { CountryOf } from './geo/country.ts';
import type { CollectorMetrics } from './metrics.ts';
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
/** Some or all events of the request matched their site's exclusions (SPEC §11) and were dropped. */
const EXCLUDED: Outcome = { status: 202, headers: { ...ORIGIN, 'X-Tidemark-Dropped': 'excluded' }, body: null };
export const PREFLIGHT: Outcome = { status: 204, headers: CORS, body: null };
const QUEUE_RETRY_SECONDS = '5';
const UNAVAILABLE: Outcome = {
  status: 503,
  headers: { ...JSON_CORS, 'Retry-After': QUEUE_RETRY_SECONDS },
  body: '{"error":"the queue is unavailable, retry later"}',
};
const UNSUPPORTED: Outcome = {
  status: 415,
  headers: JSON_CORS,
  body: '{"error":"Content-Type must be text/plain or application/json","field":"Content-Type"}',
};
const CONTENT_TYPES = new Set(['text/plain', 'application/json']);

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

/** kafkajs errors carry a `KafkaJS…` name; they mean the queue, not the request, failed. */
function isQueueFault(error: unknown): boolean {
  return error instanceof QueueUnavailableError || (error instanceof Error && error.name.startsWith('KafkaJS'));
}

export interface PipelineOptions {
  producer: QueueProducer;
  enricher: Enricher;
  agentOf: (userAgent: string) => Agent;
  countryOf: CountryOf;
  rateLimiter: RateLimiter;
  sites: SiteGate;
  metrics: CollectorMetrics;
  log: Logger;
}

export interface EventPipeline {
  /** Checks that need no body; an outcome means answer now, `null` means read the body. */
  precheck(headers: IncomingHttpHeaders, ip: string): Outcome | null;
  /** Everything after the body was read. Rejects only on a real fault (a 500). */
  process(read: BodyResult, headers: IncomingHttpHeaders, ip: string): Promise<Outcome>;
}

export function createEventPipeline(options: PipelineOptions): EventPipeline {
  const { producer, enricher, agentOf, countryOf, rateLimiter, sites, metrics, log } = options;
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
      const retryAfter = rateLimiter.retryAfter(ip);
      if (retryAfter > 0) {
        metrics.dropped('rate_limited');
        return fail(429, 'too many requests, retry later', undefined, { ...JSON_CORS, 'Retry-After': String(retryAfter) });
      }
      if (!contentTypeOk(headers['content-type'])) {
        metrics.dropped('unsupported_type');
        return UNSUPPORTED;
      }
      if (declaredTooLarge(headers['content-length'])) {
        metrics.dropped('too_large');
        return tooLarge(LIMITS.batchBytes);
      }
      return null;
    },

    async process(read, headers, ip) {
      if (!read.ok) {
        metrics.dropped('too_large');
        return tooLarge(read.limit);
      }
      if (!isUtf8(read.body)) {
        metrics.dropped('invalid');
        return fail(400, 'body: must be UTF-8', 'body');
      }
      let batch: ReturnType<typeof parseEventBatch>;
      try {
        batch = parseEventBatch(read.body.toString('utf8'));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        metrics.dropped('invalid');
        return fail(400, error.message, error.field ?? 'body');
      }
      const rules: SiteRules[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const site = (batch[i] as (typeof batch)[number]).event.site;
        const found = sites.check(site);
        if (found === null) {
          metrics.dropped('forbidden_site', batch.length);
          return fail(403, `site: ${site} is not registered here`, batch.length === 1 ? 'site' : `${i}.site`);
        }
        rules[i] = found;
      }
      const userAgent = headers['user-agent'] ?? '';
      const agent = agentOf(userAgent);
      if (agent.bot) {
        metrics.dropped('bot', batch.length);
        return BOT;
      }
      const facts = { ip, agent, userAgent, country: countryOf(ip, headers), nowMs: Date.now() };
      const rows = [];
      for (let i = 0; i < batch.length; i++) {
        const parsed = batch[i] as (typeof batch)[number];
        const excluded = (rules[i] as SiteRules).exclusion(parsed.url.hostname, parsed.url.pathname, ip, facts.country);
        if (excluded === null) rows.push(enricher.enrich(parsed, facts));
        else metrics.dropped(excluded);
      }
      if (rows.length === 0) return EXCLUDED;
      try {
        await producer.send(rows);
      } catch (error) {
        if (!isQueueFault(error)) throw error;
        metrics.dropped('queue_unavailable', rows.length);
        warnQueue(error as Error, rows.length);
        return UNAVAILABLE;
      }
      metrics.accepted.inc(rows.length);
      return rows.length === batch.length ? ACCEPTED : EXCLUDED;
    },
  };
}
