/** Stats API parameters (SPEC §6), parsed and bounded; anything else is a 400 with a message. */
import { parseIsoInstant, SITE_NAME, ValidationError } from '@tidemark/shared';
import type { z } from 'zod';
import { TIME_PATTERN, WINDOW_PATTERN } from './patterns.ts';

const WINDOW = new RegExp(WINDOW_PATTERN);
const TIME = new RegExp(TIME_PATTERN);
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** No event lies outside these; ClickHouse's DateTime64 ends in 2299. */
const EARLIEST_MS = 0;
const LATEST_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

export interface TimeRange {
  /** The window the range was given by (asked for, or the route's default), or null for from/to. */
  window: string | null;
  from: Date;
  to: Date;
}

export function parseSite(value: string | undefined): string {
  if (value === undefined || value === '') throw new ValidationError('site: is required', 'site');
  const site = value.toLowerCase();
  if (!SITE_NAME.test(site)) throw new ValidationError('site: must be a host name', 'site');
  return site;
}

/** `30s` … `90d` (`WINDOW_PATTERN`), in ms. */
export function parseWindowMs(value: string): number {
  if (!WINDOW.test(value)) throw new ValidationError('window: must be 30s to 90d, like 5m, 1h or 7d', 'window');
  return Number(value.slice(0, -1)) * UNIT_MS[value.at(-1) as keyof typeof UNIT_MS];
}

/** An ISO 8601 date (midnight UTC) or instant with its zone (`TIME_PATTERN`), kept within 1970 … 2299. */
export function parseTime(value: string, field: string): Date {
  const ms = TIME.test(value) ? (value.length === 10 ? Date.parse(`${value}T00:00:00Z`) : parseIsoInstant(value)) : null;
  if (ms === null || Number.isNaN(ms))
    throw new ValidationError(`${field}: must be an ISO 8601 date or time with a zone, like 2026-01-31 or 2026-01-31T12:00:00Z`, field);
  return new Date(Math.min(Math.max(ms, EARLIEST_MS), LATEST_MS));
}

/**
 * The range of a query, one rule for every combination of `window`, `from` and `to`: it ends
 * at `to` (default: now) and starts at `from` or `window` before its end, whichever is later;
 * with neither, `defaultWindow` before its end. A `from` after the end gives the empty range
 * at the end (nothing but that instant).
 */
export function parseRange(
  query: { window?: string | undefined; from?: string | undefined; to?: string | undefined },
  defaultWindow: string,
  now = Date.now(),
): TimeRange {
  const to = query.to === undefined ? now : parseTime(query.to, 'to').getTime();
  const from = query.from === undefined ? null : parseTime(query.from, 'from').getTime();
  const window = query.window ?? (from === null ? defaultWindow : null);
  const windowFrom = window === null ? Number.NEGATIVE_INFINITY : to - parseWindowMs(window);
  const start = Math.min(Math.max(from ?? Number.NEGATIVE_INFINITY, windowFrom), to);
  return { window: from === null || query.window !== undefined ? window : null, from: new Date(start), to: new Date(to) };
}

/** Checks a query against its route schema; the first problem is the 400's message. */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const field = issue?.path.join('.') ?? '';
  throw new ValidationError(`${field}: ${issue?.message ?? 'is invalid'}`, field);
}
