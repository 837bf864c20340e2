/**
 * How long to wait before the next try: the collector's `Retry-After` when it sent one (seconds
 * or an HTTP date, SPEC §4: `429` and `503`), else exponential backoff with jitter
 * (`min · 2^attempt`, capped, then a random 50–100 % of it so many clients do not retry in step).
 * Never longer than `max`.
 */
export function retryDelay(
  attempt: number,
  retryAfter: string | null,
  min: number,
  max: number,
  now = Date.now(),
  random = Math.random,
): number {
  const given = retryAfter === null ? null : parseRetryAfter(retryAfter, now);
  if (given !== null) return Math.min(max, given);
  const exponential = Math.min(max, min * 2 ** attempt);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when it is neither. */
export function parseRetryAfter(value: string, now = Date.now()): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) || !/[a-z]/i.test(text) ? null : Math.max(0, at - now);
}
