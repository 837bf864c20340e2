/**
 * Date ranges (SPEC §10) as half-open UTC spans [from, to) in ms, resolved in the query's time
 * zone: named days and months start at local midnight (across DST changes), windows slide up to
 * now, `Nd` are the N whole days before today, dates are whole days with both ends included,
 * instants are exact with both ends included. Ranges that reach now end at now + 1 ms, so an
 * event stamped exactly now counts. Every range is kept within 1900 … 2299 (what ClickHouse stores).
 */
import type { Compare, Query } from './parse.ts';
import { windowMs } from './parse.ts';
import type { Interval } from './vocabulary.ts';
import { instantOf, shiftWall, wallOf } from './zone.ts';

export interface Span {
  from: number;
  to: number;
}

const DAY = 86_400_000;
/** How far `all` reaches back: the rollups' and visits' lifetime. */
export const HISTORY_MS = 2 * 365 * DAY;

function startOfDay(ms: number, zone: string, days = 0): number {
  const w = wallOf(ms, zone);
  return instantOf(w.year, w.month, w.day + days, 0, 0, zone);
}

function startOfMonth(ms: number, zone: string, months = 0): number {
  const w = wallOf(ms, zone);
  return instantOf(w.year, w.month + months, 1, 0, 0, zone);
}

function dateStart(date: string, zone: string, days = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return instantOf(y, m, d + days, 0, 0, zone);
}

/** ClickHouse's DateTime64 holds 1900 … 2299: a range reaching past either end is cut there. */
const EARLIEST_MS = Date.UTC(1900, 0, 1);
const LATEST_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

function storable(span: Span): Span {
  const clamp = (ms: number) => Math.min(Math.max(ms, EARLIEST_MS), LATEST_MS);
  return { from: clamp(span.from), to: clamp(span.to) };
}

export function resolveRange(range: Query['dateRange'], zone: string, now: number): Span {
  return storable(resolved(range, zone, now));
}

function resolved(range: Query['dateRange'], zone: string, now: number): Span {
  const end = now + 1;
  if (Array.isArray(range)) {
    const [from, to] = range;
    if (from.length === 10) return { from: dateStart(from, zone), to: dateStart(to, zone, 1) };
    return { from: Date.parse(from), to: Date.parse(to) + 1 };
  }
  const window = range === 'realtime' ? 5 * 60_000 : windowMs(range);
  if (window !== null) return { from: now - window, to: end };
  switch (range) {
    case 'today':
      return { from: startOfDay(now, zone), to: end };
    case 'yesterday':
      return { from: startOfDay(now, zone, -1), to: startOfDay(now, zone) };
    case '7d':
    case '28d':
    case '30d':
      return { from: startOfDay(now, zone, -Number.parseInt(range, 10)), to: startOfDay(now, zone) };
    case 'month':
      return { from: startOfMonth(now, zone), to: end };
    case 'last_month':
      return { from: startOfMonth(now, zone, -1), to: startOfMonth(now, zone) };
    case 'year': {
      const w = wallOf(now, zone);
      return { from: instantOf(w.year, 1, 1, 0, 0, zone), to: end };
    }
    case '12mo':
      return { from: startOfMonth(now, zone, -11), to: end };
    default:
      return { from: startOfDay(now - HISTORY_MS, zone), to: end };
  }
}

export function comparisonRange(compare: Compare, span: Span, zone: string): Span {
  if (compare === 'previous_period') return storable({ from: span.from - (span.to - span.from), to: span.from });
  if (compare === 'year_over_year')
    return storable({ from: shiftWall(span.from, zone, { years: -1 }), to: shiftWall(span.to, zone, { years: -1 }) });
  return resolveRange(compare, zone, 0);
}

/** The interval of the plain `time` dimension, from the span's length. */
export function autoInterval(span: Span): Interval {
  const length = span.to - span.from;
  if (length <= 2 * 3_600_000) return 'minute';
  if (length <= 2 * DAY + 1) return 'hour';
  if (length <= 93 * DAY) return 'day';
  return 'month';
}
