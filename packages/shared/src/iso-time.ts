/**
 * ISO 8601 instants (RFC 3339's profile): `2026-03-01T12:30:00Z`, `2026-03-01T14:30:00.250+02:00`,
 * `…+0200`, seconds and fractions optional, `T` or a space between date and time. The zone is
 * required: a time without one names no instant. `Date.parse` is not used because it reads a
 * zoneless time as the host's local time and accepts many non-ISO shapes.
 */

const ISO = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d\d):?(\d\d))$/;

/** Milliseconds since the epoch, or `null` when `text` is not an ISO 8601 instant with a zone. */
export function parseIsoInstant(text: string): number | null {
  const m = ISO.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads the years 0 … 99 as 1900 … 1999
  at.setUTCHours(hour, minute, second, ms);
  if (at.getUTCDate() !== day) return null; // 2026-02-30 rolls over: not a date
  const local = at.getTime();
  if (m[8] !== undefined) return local;
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return m[9] === '+' ? local - offset : local + offset;
}
