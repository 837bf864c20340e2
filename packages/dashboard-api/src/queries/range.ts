/** Small helpers of the queries: a time as a ClickHouse bind parameter, and one query's rows. */
import { type ClickHouseClient, toClickHouseTime } from '@tidemark/shared';

/** ClickHouse DateTime64(3) text (UTC) for a bind parameter. */
export const chTime = toClickHouseTime;

/** Runs one query and returns its rows as JSON objects. */
export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
