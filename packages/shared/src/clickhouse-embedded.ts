/**
 * The in-process engine (chdb) as a `@clickhouse/client` connection whose statements run side by
 * side, as on a server. chdb runs one statement at a time per native connection, and every
 * parameterized one through a single process-wide chain; so each statement here gets a native
 * connection of its own, opened for it and closed after it (about 0.5 ms), with its parameters
 * as a `SET param_` prefix (clickhouse-params.ts) instead of chdb's binding. A fresh connection is
 * also a fresh session: a statement's settings (chdb applies them as `SET`) end with it instead
 * of carrying over to whatever ran next on a shared connection, as a server's do per request.
 * One long-lived connection keeps the engine's data directory bound and serves pings and raw
 * inserts.
 */
import type { Readable } from 'node:stream';
import type { ChdbConnection, ConnBaseQueryParams, Connection } from 'chdb/connection';
import { paramStatement } from './clickhouse-params.ts';

type Chdb = typeof import('chdb/connection');

/**
 * Statements at once, in the whole process: each runs on a thread of libuv's pool (4 unless
 * UV_THREADPOOL_SIZE says otherwise), which file reads, scrypt, gunzip and chdb's raw inserts
 * share, so one thread stays free for them. More would not finish sooner on two cores.
 */
const SIDE_BY_SIDE = Math.max(1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1);
let running = 0;
const queued: (() => void)[] = [];

async function turn<R>(run: () => Promise<R>): Promise<R> {
  if (running >= SIDE_BY_SIDE) await new Promise<void>((resolve) => queued.push(resolve));
  else running++;
  try {
    return await run();
  } finally {
    const next = queued.shift();
    if (next)
      next(); // the slot passes straight on
    else running--;
  }
}

export interface EmbeddedConnection extends Connection<Readable> {
  /** The long-lived connection, for chdb's raw insert. */
  readonly main: ChdbConnection;
}

export function createEmbeddedConnection(chdb: Chdb, path: string): EmbeddedConnection {
  const main = chdb.createChdbConnection({ path });

  /** `run` on a connection of its own, with the parameters bound by the engine from a SET. */
  async function alone<P extends ConnBaseQueryParams, R>(params: P, run: (c: ChdbConnection, p: P) => Promise<R>): Promise<R> {
    const { query_params, ...rest } = params;
    const query = `${paramStatement(query_params)}${params.query}`;
    return turn(async () => {
      const connection = chdb.createChdbConnection({ path });
      try {
        return await run(connection, { ...rest, query } as P);
      } finally {
        // The result is already read into memory; a statement still running after an abort keeps
        // the native connection until it ends (chdb defers the teardown).
        await connection.close();
      }
    });
  }

  return {
    main,
    query: (params) => alone(params, (c, p) => c.query(p)),
    exec: (params) => alone(params, (c, p) => c.exec(p)),
    command: (params) => alone(params, (c, p) => c.command(p)),
    insert: (params) => alone(params, (c, p) => c.insert(p)),
    ping: (params) => main.ping(params),
    close: () => main.close(),
  };
}
