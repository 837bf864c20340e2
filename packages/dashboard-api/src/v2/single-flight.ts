/**
 * Identical statements in flight run once (issue 18). A dashboard view asks several Query API
 * questions at once, and some of their statements are the same text with the same parameters:
 * every panel's unused `totals` under a filter is the top numbers' statement without dimensions
 * (under a page filter, the visits statement scanning every visit's pages, three panels and the
 * top numbers: four times the same scan). A statement asked while the same one is running joins
 * it and gets its rows; nothing is kept once it has answered (a later ask runs again and sees new
 * data), so an answer is never older than its request.
 */
import type { ClickHouseClient } from '@tidemark/shared';

type Rows = Record<string, unknown>[];

/** Statements running, per client: a key (text, parameters, time limit) → its rows. */
const running = new WeakMap<ClickHouseClient, Map<string, Promise<Rows>>>();

/** A statement's identity: its text, its parameters' values and types (64-bit numbers too), and its limit. */
export function statementKey(sql: string, params: Record<string, unknown>, seconds: number): string {
  return JSON.stringify([sql, params, seconds], (_, v) => (typeof v === 'bigint' ? { bigint: v.toString() } : v));
}

/**
 * `start()`'s rows, or those of the identical statement already running on `client`. Each caller
 * gets rows of its own (shallow copies for those that joined), and the same error when it fails.
 */
export async function singleFlight(client: ClickHouseClient, key: string, start: () => Promise<Rows>): Promise<Rows> {
  let statements = running.get(client);
  if (!statements) {
    statements = new Map();
    running.set(client, statements);
  }
  const joined = statements.get(key);
  if (joined) return (await joined).map((row) => ({ ...row }));
  const rows = start();
  statements.set(key, rows);
  try {
    return await rows;
  } finally {
    statements.delete(key);
  }
}
