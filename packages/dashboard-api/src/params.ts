/** Stats API parameters (SPEC §6), parsed and bounded; anything else is a 400 with a message. */
import { SITE_NAME, ValidationError } from '@tidemark/shared';
import type { z } from 'zod';

const WINDOW = /^(\d{1,7})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MIN_WINDOW_MS = 30_000;
const MAX_WINDOW_MS = 90 * 86_400_000;

export interface TimeRange {
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

export function parseWindowMs(value: string): number {
  const match = WINDOW.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS)) throw new ValidationError('window: must be 30s to 90d, like 5m, 1h or 7d', 'window');
  return ms;
}

function parseTime(value: string, field: string): Date {
  const date = /^\d{4}-\d\d-\d\d/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new ValidationError(`${field}: must be an ISO 8601 time`, field);
  return date;
}

/** `window` (sliding, up to now) or `from`/`to`; `defaultWindow` when neither is given. */
export function parseRange(
  query: { window?: string | undefined; from?: string | undefined; to?: string | undefined },
  defaultWindow: string,
  now = Date.now(),
): TimeRange {
  if (query.from !== undefined || query.to !== undefined) {
    if (query.window !== undefined) throw new ValidationError('window: give either window or from/to', 'window');
    if (query.from === undefined) throw new ValidationError('from: is required with to', 'from');
    const from = parseTime(query.from, 'from');
    const to = query.to === undefined ? new Date(now) : parseTime(query.to, 'to');
    if (to <= from) throw new ValidationError('to: must be after from', 'to');
    if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new ValidationError('from: the range may span at most 90 days', 'from');
    return { window: null, from, to };
  }
  const window = query.window ?? defaultWindow;
  const ms = parseWindowMs(window);
  return { window, from: new Date(now - ms), to: new Date(now) };
}

/** Checks a query against its route schema; the first problem is the 400's message. */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const field = issue?.path.join('.') ?? '';
  throw new ValidationError(`${field}: ${issue?.message ?? 'is invalid'}`, field);
}
