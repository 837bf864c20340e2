/**
 * The ClickHouse client factory: `CLICKHOUSE_URL` set → that server; unset → the engine
 * in-process (chdb) on `DATA_DIR`. Both are `@clickhouse/client` clients, so every query,
 * insert and error takes one code path; the in-process one runs statements side by side, with
 * their parameters bound by the engine as a server binds them (clickhouse-embedded.ts). Tables are always named with their database
 * (`analytics.events`), so one client serves migrations, inserts and queries.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createEmbeddedConnection } from './clickhouse-embedded.ts';
import type { Config } from './config.ts';
import { ConfigError } from './errors.ts';

export type { ClickHouseClient };

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export { ClickHouseError } from '@clickhouse/client';

/**
 * The ClickHouse error code of `error` (`'427'`), or null for anything else. Both engines' errors
 * count: chdb's connection throws the ClickHouseError of its own @clickhouse/client-common copy,
 * which `instanceof` against the client's class does not recognise.
 */
export function clickhouseErrorCode(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  if (error.name !== 'ClickHouseError' && error.constructor.name !== 'ClickHouseError') {
    // A message the client's parser cannot read (one that quotes a value with a line break in it)
    // leaves a plain Error; chdb's own error, its cause, still has the code.
    const code = (error.cause as { clickhouseCode?: unknown } | undefined)?.clickhouseCode;
    return typeof code === 'number' ? String(code) : null;
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/**
 * Settings for a JSON read whose rows carry 64-bit integers into JavaScript (`visitor_id`, event
 * id keys, offsets): each arrives as a decimal string. ClickHouse 26.7 — the server and the
 * embedded engine here — writes them as bare JSON numbers by default
 * (`output_format_json_quote_64bit_integers = 0`), which `JSON.parse` rounds to the nearest double
 * past 2^53: almost every visitor id comes back as another number.
 */
export const EXACT_64BIT_JSON = { output_format_json_quote_64bit_integers: 1 } as const;

/** An insert body handed to the in-process engine as it is (a text format: chdb takes no binary bodies). */
export interface RawInsert {
  table: string;
  columns: readonly string[];
  format: 'JSONEachRow';
  values: Buffer;
  settings: Record<string, string | number>;
}

/**
 * Clients of the in-process engine, with its raw insert: the body Buffer goes to the engine
 * without becoming a JS string (chdb's `exec` decodes it to text and appends it to the
 * query on the main thread), and is parsed off the event loop.
 */
const embeddedClients = new WeakMap<ClickHouseClient, (insert: RawInsert) => Promise<unknown>>();

/** True for a client of the engine in-process (chdb), which takes text insert formats only. */
export function isEmbeddedClient(client: ClickHouseClient): boolean {
  return embeddedClients.has(client);
}

/** The in-process engine's raw insert of `client`, or null for a server's client. */
export function embeddedRawInsert(client: ClickHouseClient): ((insert: RawInsert) => Promise<unknown>) | null {
  return embeddedClients.get(client) ?? null;
}

export function createClickHouse(config: Config['clickhouse']): ClickHouseClient {
  if (config.url !== null) {
    return createClient({
      url: config.url,
      username: config.user,
      password: config.password,
      request_timeout: 30_000,
    });
  }
  const path = resolve(config.dataDir);
  mkdirSync(path, { recursive: true });
  // chdb types its connection against @clickhouse/client-common 1.23.0, the client ships
  // 1.23.1's identical shapes under other names: the cast only bridges the two copies.
  const connection = createEmbeddedConnection(loadChdb(), path);
  const client = createClient({ connection: connection as unknown as Connection });
  embeddedClients.set(client, ({ columns, ...insert }) => connection.main.chdb.rawInsert({ ...insert, columns: [...columns] }));
  return client;
}

/**
 * chdb (the engine, about 550 MB) is an optional peer: loaded only in the embedded mode, so
 * the service images, which always have `CLICKHOUSE_URL`, ship without it.
 */
function loadChdb(): typeof import('chdb/connection') {
  try {
    return createRequire(import.meta.url)('chdb/connection') as typeof import('chdb/connection');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new ConfigError('CLICKHOUSE_URL must be set: this build has no embedded ClickHouse engine (the chdb package)');
  }
}
