/**
 * Identical statements in flight run once (issue 18). A dashboard view asks several Query API
 * questions at once, and some of their statements are the same text with the same parameters:
 * every panel's unused `totals` under a filter is the top numbers' statement without dimensions
 * (under a page filter, the visits statement scanning every visit's pages, three panels and the
 * top numbers: four times the same scan). A statement asked while the same one is running joins
 * it and gets its rows; nothing is kept once it has answered (a later ask runs again and sees new
 * data), so an answer is never older than its request.
 *
 * A statement belongs to the request that started it (`asRequest`: a Query API query, a funnel).
 * Once that request has ended, its statements still running are no longer joined: a query ends as
 * soon as one of its statements fails (a 503 past the time limit), and the others run on to their
 * own end, near the limit too; a request asked again right after would otherwise join one of them
 * and get its 503 within milliseconds, an error of a request that had already been answered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClickHouseClient } from '@tidemark/shared';

type Rows = Record<string, unknown>[];

/** A request's statements: which it started, and whether it has ended. */
interface Request {
  ended: boolean;
  started: { statements: Map<string, Flight>; key: string; flight: Flight }[];
}

interface Flight {
  rows: Promise<Rows>;
}

const requests = new AsyncLocalStorage<Request>();

/** A statement asked by a request that has already ended (its answer or error given): not run. */
export class RequestEndedError extends Error {
  override readonly name = 'RequestEndedError';
}

/** Statements running, per client: a key (text, parameters, time limit) → its rows. */
const running = new WeakMap<ClickHouseClient, Map<string, Flight>>();

/**
 * Runs `f` as one request: the statements it starts are joined by others only until it ends
 * (answered or failed), never after.
 */
export async function asRequest<T>(f: () => Promise<T>): Promise<T> {
  const request: Request = { ended: false, started: [] };
  try {
    return await requests.run(request, f);
  } finally {
    request.ended = true;
    for (const { statements, key, flight } of request.started) if (statements.get(key) === flight) statements.delete(key);
    request.started = [];
  }
}

/** A statement's identity: its text, its parameters' values and types (64-bit numbers too), and its limit. */
export function statementKey(sql: string, params: Record<string, unknown>, seconds: number): string {
  return JSON.stringify([sql, params, seconds], (_, v) => (typeof v === 'bigint' ? { bigint: v.toString() } : v));
}

/**
 * `start()`'s rows, or those of the identical statement already running on `client` for a request
 * that has not ended. Each caller gets rows of its own (shallow copies for those that joined), and
 * the same error when it fails.
 */
export async function singleFlight(client: ClickHouseClient, key: string, start: () => Promise<Rows>): Promise<Rows> {
  let statements = running.get(client);
  if (!statements) {
    statements = new Map();
    running.set(client, statements);
  }
  const request = requests.getStore();
  // A request already answered (one of its statements failed): nobody reads what it would start.
  if (request?.ended) throw new RequestEndedError('the request has ended: its statement is not run');
  const joined = statements.get(key);
  if (joined) return (await joined.rows).map((row) => ({ ...row }));
  const flight: Flight = { rows: start() };
  statements.set(key, flight);
  // Started outside a request's scope: joined until it answers, as before.
  if (request) request.started.push({ statements, key, flight });
  try {
    return await flight.rows;
  } finally {
    if (statements.get(key) === flight) statements.delete(key);
  }
}
