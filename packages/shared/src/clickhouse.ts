/**
 * The ClickHouse client factory: `CLICKHOUSE_URL` set → that server; unset → the engine
 * in-process (chdb) on `DATA_DIR`. Both are `@clickhouse/client` clients, so every query,
 * insert and error takes one code path. Tables are always named with their database
 * (`analytics.events`), so one client serves migrations, inserts and queries.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { Config } from './config.ts';

export type { ClickHouseClient };

type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export { ClickHouseError } from '@clickhouse/client';

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
  const connection = createChdbConnection({ path }) as unknown as Connection;
  return createClient({ connection });
}
