/**
 * The exact text of the Stats API's `window`, `from` and `to` (and the Query API's sites, windows
 * and dates, `v2/parse.ts`), as regular expressions that
 * both validate the parameters and appear in `/openapi.json`: a value matches exactly when the
 * API accepts it, so a client (or a fuzzer) reading the document can tell valid from invalid
 * without calling. JSON Schema cannot compare two numbers or dates, so the bounds live in the
 * patterns themselves: windows of 30 s to 90 days, and only dates that exist.
 */

/** A pattern matching the decimal integers `min` … `max`, without leading zeros. */
export function integerRange(min: number, max: number): string {
  const parts: string[] = [];
  for (let length = String(min).length; length <= String(max).length; length++) {
    const lo = Math.max(min, length === 1 ? 0 : 10 ** (length - 1));
    const hi = Math.min(max, 10 ** length - 1);
    if (lo <= hi) parts.push(...sameLength(String(lo), String(hi)));
  }
  return parts.join('|');
}

/** Alternatives matching `lo` … `hi`, two numbers of the same number of digits. */
function sameLength(lo: string, hi: string): string[] {
  if (lo === hi) return [lo];
  if (/^0+$/.test(lo) && /^9+$/.test(hi)) return [lo.length === 1 ? '[0-9]' : `[0-9]{${lo.length}}`];
  const [a = '0', b = '0'] = [lo[0], hi[0]];
  if (lo.length === 1) return [`[${a}-${b}]`];
  const rest = lo.length - 1;
  const tail = (digit: string, from: string, to: string) => sameLength(from, to).map((p) => `${digit}(?:${p})`);
  if (a === b) return tail(a, lo.slice(1), hi.slice(1));
  if (/^0+$/.test(lo.slice(1)) && /^9+$/.test(hi.slice(1))) return [`[${a}-${b}][0-9]{${rest}}`];
  const out = tail(a, lo.slice(1), '9'.repeat(rest));
  if (Number(a) + 1 <= Number(b) - 1) out.push(`[${Number(a) + 1}-${Number(b) - 1}][0-9]{${rest}}`);
  out.push(...tail(b, '0'.repeat(rest), hi.slice(1)));
  return out;
}

/** `<n><unit>` from 30 s to 90 days. */
export const WINDOW_PATTERN = `^(?:(?:${integerRange(30, 90 * 86_400)})s|(?:${integerRange(1, 90 * 1440)})m|(?:${integerRange(1, 90 * 24)})h|(?:${integerRange(1, 90)})d)$`;

import { SITE_NAME } from '@tidemark/shared';

/** SITE_NAME, any case, without its length lookahead (callers bound the length to 253): generators such as schemathesis produce values of it directly. */
export const SITE_PATTERN = SITE_NAME.source.replace('(?=.{1,253}$)', '').replaceAll('a-z', 'A-Za-z');

const YEAR = '[0-9]{4}';
/** Years with a 29 February (proleptic Gregorian): divisible by 4, and centuries by 400. */
const LEAP_YEAR = '(?:[0-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
/** A calendar date that exists, `YYYY-MM-DD` (no anchors). */
export const DAY_OF_YEAR = `(?:${YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|${LEAP_YEAR}-02-29)`;
/** Hours and minutes, optional seconds and fraction, and the zone (`parseIsoInstant`'s grammar). */
const TIME_OF_DAY = '[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])';
/** An ISO 8601 date (`2026-01-31`, midnight UTC) or instant (`2026-01-31T12:00:00Z`, `…+02:00`). */
export const TIME_PATTERN = `^${DAY_OF_YEAR}(?:${TIME_OF_DAY})?$`;
