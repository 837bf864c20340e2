/** Small helpers of the queries: a time as a ClickHouse bind parameter, and one query's rows. */
import type { ClickHouseClient } from '@tidemark/shared';

/** ClickHouse DateTime64(3) text (UTC) for a bind parameter. */
export function chTime(date: Date | number): string {
  return new Date(date).toISOString().replace('T', ' ').slice(0, 23);
}

/** Runs one query and returns its rows as JSON objects. */
export async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
