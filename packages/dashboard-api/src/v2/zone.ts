/**
 * Calendar arithmetic in an IANA time zone with nothing but `Intl`: the wall clock of an
 * instant, the instant of a wall clock (DST gaps resolved forward, overlaps to the first
 * instant), and the start of the minute, hour, day, week (Monday) or month holding an instant.
 */
import type { Interval } from './vocabulary.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Current IANA names that this runtime's ICU lists under an older name (`Asia/Calcutta` for
 * `Asia/Kolkata`): `Intl.supportedValuesOf` gives only the older one.
 */
const RENAMED = [
  'Africa/Asmara',
  'America/Argentina/Buenos_Aires',
  'America/Argentina/Catamarca',
  'America/Argentina/Cordoba',
  'America/Argentina/Jujuy',
  'America/Argentina/Mendoza',
  'America/Atikokan',
  'America/Indiana/Indianapolis',
  'America/Kentucky/Louisville',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Asia/Yangon',
  'Atlantic/Faroe',
  'Europe/Kyiv',
  'Pacific/Chuuk',
  'Pacific/Kanton',
  'Pacific/Pohnpei',
];

/**
 * The zone names `/openapi.json` lists: every zone this runtime knows, by its IANA name (and the
 * older names ICU keeps). The parser takes these and any other alias the runtime knows (`US/Eastern`).
 */
export const ZONE_NAMES: readonly string[] = [
  ...new Set(['UTC', ...Intl.supportedValuesOf('timeZone'), ...RENAMED.filter((zone) => knownZone(zone))]),
].sort();

/** True when `zone` is an IANA name this runtime knows. */
/**
 * A zone's name as a query parameter takes it (`/openapi.json` states this pattern, not the 438
 * names, for the export's and imports' `timezone`): Area/Location names, `UTC`, `Etc/GMT+5`.
 * Offsets (`+05:00`), which the runtime would also take, are not names.
 */
export const ZONE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_+-]{0,30}(?:/[A-Za-z0-9_+-]{1,30}){0,2}$';
const ZONE_NAME = new RegExp(ZONE_NAME_PATTERN);

/** A zone by its name (`ZONE_NAME_PATTERN`) that the runtime knows. */
export function namedZone(zone: string): boolean {
  return ZONE_NAME.test(zone) && knownZone(zone);
}

const LISTED = new Set(ZONE_NAMES);

/**
 * The zone's name as ClickHouse takes it, or null when it is no zone's name. The runtime's zone
 * data ignores case and knows aliases; ClickHouse reads its zone files by exact name, so
 * `europe/berlin` would be its error (a 500): a name not listed as given is the runtime's own
 * name for that zone (`Europe/Berlin`, `America/New_York` for `us/eastern`).
 */
export function zoneName(zone: string): string | null {
  if (LISTED.has(zone)) return zone;
  if (!namedZone(zone)) return null;
  return formatter(zone).resolvedOptions().timeZone;
}

export function knownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function wallOf(ms: number, zone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(Math.floor(ms / 1000) * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** The zone's offset from UTC at `ms`, in ms. */
export function offsetAt(ms: number, zone: string): number {
  const w = wallOf(ms, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The first instant whose wall clock is at or after the given one (a DST gap moves forward). */
export function instantOf(year: number, month: number, day: number, hour = 0, minute = 0, zone = 'UTC'): number {
  const local = Date.UTC(year, month - 1, day, hour, minute);
  // Candidates from the offsets around the local time; keep the earliest that maps back to it.
  const offsets = new Set([offsetAt(local - 86_400_000, zone), offsetAt(local, zone), offsetAt(local + 86_400_000, zone)]);
  const hits = [...offsets].map((o) => local - o).filter((t) => Date.UTC(...wallParts(t, zone)) === local);
  if (hits.length > 0) return Math.min(...hits);
  // In a gap (spring forward): the first instant after it.
  return Math.min(...[...offsets].map((o) => local - o).filter((t) => Date.UTC(...wallParts(t, zone)) > local));
}

function wallParts(ms: number, zone: string): [number, number, number, number, number, number] {
  const w = wallOf(ms, zone);
  return [w.year, w.month - 1, w.day, w.hour, w.minute, w.second];
}

/** The start of the bucket of `interval` holding `ms`, in `zone`. */
export function bucketStart(ms: number, interval: Interval, zone: string): number {
  if (interval === 'minute') return Math.floor(ms / 60_000) * 60_000;
  const w = wallOf(ms, zone);
  if (interval === 'hour') {
    // By the offset in force at that instant, so both hours of a DST overlap are their own buckets.
    const local = ms + offsetAt(ms, zone);
    return ms - (((local % 3_600_000) + 3_600_000) % 3_600_000);
  }
  if (interval === 'day') return instantOf(w.year, w.month, w.day, 0, 0, zone);
  if (interval === 'month') return instantOf(w.year, w.month, 1, 0, 0, zone);
  const weekday = (new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7; // Monday = 0
  const monday = new Date(Date.UTC(w.year, w.month - 1, w.day - weekday));
  return instantOf(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), 0, 0, zone);
}

/** The start of the next bucket after the one starting at `start`. */
export function nextBucket(start: number, interval: Interval, zone: string): number {
  if (interval === 'minute') return start + 60_000;
  if (interval === 'hour') return bucketStart(start + 3_600_000 + 60_000, 'hour', zone);
  const w = wallOf(start, zone);
  if (interval === 'day') return instantOf(w.year, w.month, w.day + 1, 0, 0, zone);
  if (interval === 'week') return instantOf(w.year, w.month, w.day + 7, 0, 0, zone);
  return instantOf(w.year, w.month + 1, 1, 0, 0, zone);
}

/** Adds whole calendar days (or months, or years) to the wall clock of `ms`. */
export function shiftWall(ms: number, zone: string, { days = 0, months = 0, years = 0 }): number {
  const w = wallOf(ms, zone);
  return instantOf(w.year + years, w.month + months, w.day + days, w.hour, w.minute, zone) + (ms % 60_000);
}

/** The label of a bucket: a date for day, week and month; an ISO 8601 time with the zone's offset otherwise. */
export function bucketLabel(start: number, interval: Interval, zone: string): string {
  const w = wallOf(start, zone);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
  if (interval === 'day' || interval === 'week' || interval === 'month') return date;
  const offset = offsetAt(start, zone) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${date}T${pad(w.hour)}:${pad(w.minute)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
