/**
 * Exact sliding windows over minute rollups. A range [from, to] is answered as
 * - the whole minutes inside it, from the rollups (`minute >= {wholeFrom} AND minute < {wholeTo}`), plus
 * - the partial minutes at its two edges, from the raw table (`[from, wholeFrom)` and `[wholeTo, to]`),
 * so `window=5m` counts exactly the events of the last 5 minutes, to the millisecond, while
 * reading at most two minutes of raw rows. Rollup states (`uniqState`, `avgState`) and the raw
 * edges' states are merged together, so visitors stay distinct across the whole range.
 */
import { type ClickHouseClient, toClickHouseTime } from '@tidemark/shared';

const MINUTE_MS = 60_000;

export interface RangeParams {
  from: string;
  to: string;
  wholeFrom: string;
  wholeTo: string;
}

/** ClickHouse DateTime64(3) text (UTC) for a bind parameter. */
export const chTime = toClickHouseTime;

/** The bind parameters of a range, split into whole minutes and raw edges. */
export function splitRange(from: Date, to: Date): RangeParams {
  const f = from.getTime();
  const t = to.getTime();
  let wholeFrom = Math.ceil(f / MINUTE_MS) * MINUTE_MS;
  let wholeTo = Math.floor(t / MINUTE_MS) * MINUTE_MS;
  // No whole minute inside: the raw table answers all of it ([from, to) ∪ [to, to]).
  if (wholeFrom >= wholeTo) wholeFrom = wholeTo = t;
  return { from: chTime(f), to: chTime(t), wholeFrom: chTime(wholeFrom), wholeTo: chTime(wholeTo) };
}

/** Rollup rows of the whole minutes (`minute` column of every `*_minute` table). */
export const WHOLE_MINUTES = `minute >= {wholeFrom:DateTime64(3, 'UTC')} AND minute < {wholeTo:DateTime64(3, 'UTC')}`;

/** Raw rows of the two partial edge minutes. */
export const RAW_EDGES = `((timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {wholeFrom:DateTime64(3, 'UTC')}) OR (timestamp >= {wholeTo:DateTime64(3, 'UTC')} AND timestamp <= {to:DateTime64(3, 'UTC')}))`;

/** Runs one query and returns its rows as JSON objects. */
export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
