/**
 * The imports of each site (`imports`, clickhouse/011_imports.sql): one row version per change,
 * the highest `version` of an id being its state. An import's rows count only once it is
 * `complete`; `importing` ones are not shown in reports (and are dropped when the import stops),
 * `failed` and `deleted` ones have no rows left.
 */
import { type ClickHouseClient, IMPORTED_TABLES, TABLES } from '@tidemark/shared';

export type ImportSource = 'plausible' | 'umami';
export type ImportStatus = 'importing' | 'complete' | 'failed' | 'deleted';

export interface ImportRecord {
  site: string;
  id: string;
  source: ImportSource;
  status: ImportStatus;
  file: string;
  timezone: string;
  /** The first and last day of the imported rows (YYYY-MM-DD), empty until complete. */
  dateFrom: string;
  dateTo: string;
  rows: number;
  tables: string[];
  error: string;
  createdAt: string;
  updatedAt: string;
}

interface StoredRecord {
  site: string;
  id: string;
  source: string;
  status: string;
  file: string;
  timezone: string;
  date_from: string;
  date_to: string;
  rows: string | number;
  tables: string[];
  error: string;
  created_at: string;
  updated_at: string;
}

const NO_DATE = '1970-01-01';
const iso = (ms: number) => new Date(ms).toISOString();
const chTime = (isoTime: string) => isoTime.replace('T', ' ').replace('Z', '');

function fromStored(r: StoredRecord): ImportRecord {
  return {
    site: r.site,
    id: r.id,
    source: r.source as ImportSource,
    status: r.status as ImportStatus,
    file: r.file,
    timezone: r.timezone,
    dateFrom: r.date_from === NO_DATE ? '' : r.date_from,
    dateTo: r.date_to === NO_DATE ? '' : r.date_to,
    rows: Number(r.rows),
    tables: r.tables,
    error: r.error,
    createdAt: `${r.created_at.replace(' ', 'T')}Z`,
    updatedAt: `${r.updated_at.replace(' ', 'T')}Z`,
  };
}

export interface ImportStore {
  save(record: ImportRecord): Promise<void>;
  list(site: string): Promise<ImportRecord[]>;
  get(site: string, id: string): Promise<ImportRecord | null>;
  /** Drops the import's rows (its partitions) from `tables`, by default every imported table and Umami's staging. */
  dropRows(id: string, tables?: readonly string[]): Promise<void>;
}

export function createImportStore(client: ClickHouseClient, database: string): ImportStore {
  const table = `${database}.${TABLES.imports}`;
  const select = `SELECT site, toString(id) AS id, source, status, file, timezone, toString(date_from) AS date_from,
      toString(date_to) AS date_to, rows, tables, error, toString(created_at) AS created_at, toString(updated_at) AS updated_at
    FROM ${table} FINAL`;
  return {
    async save(r) {
      await client.insert({
        table,
        format: 'JSONEachRow',
        values: [
          {
            site: r.site,
            id: r.id,
            source: r.source,
            status: r.status,
            file: r.file,
            timezone: r.timezone,
            date_from: r.dateFrom || NO_DATE,
            date_to: r.dateTo || NO_DATE,
            rows: r.rows,
            tables: r.tables,
            error: r.error,
            created_at: chTime(r.createdAt),
            updated_at: chTime(r.updatedAt),
            // Later changes win, also two within one millisecond.
            version: Date.now() * 1000 + (versionCounter++ % 1000),
          },
        ],
      });
    },
    async list(site) {
      const result = await client.query({
        query: `${select} WHERE site = {site:String} AND status != 'deleted' ORDER BY created_at`,
        query_params: { site },
        format: 'JSONEachRow',
      });
      return (await result.json<StoredRecord>()).map(fromStored);
    },
    async get(site, id) {
      const result = await client.query({
        query: `${select} WHERE site = {site:String} AND id = {id:String} AND status != 'deleted'`,
        query_params: { site, id: id.toLowerCase() },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<StoredRecord>();
      return row ? fromStored(row) : null;
    },
    async dropRows(id, tables = [...IMPORTED_TABLES, TABLES.importedUmamiEvents]) {
      for (const name of tables) {
        // The id is a UUID this process made or checked; a partition id of a UUID column is its text.
        await client.command({ query: `ALTER TABLE ${database}.${name} DROP PARTITION {id:UUID}`, query_params: { id } });
      }
    },
  };
}

let versionCounter = 0;

export function newRecord(site: string, id: string, source: ImportSource, file: string, timezone: string, now: number): ImportRecord {
  return {
    site,
    id,
    source,
    status: 'importing',
    file,
    timezone,
    dateFrom: '',
    dateTo: '',
    rows: 0,
    tables: [],
    error: '',
    createdAt: iso(now),
    updatedAt: iso(now),
  };
}

/** The SQL condition on an imported table's `import_id` that keeps complete imports of the sites only. */
export function completeImportsSql(database: string, sitesParam: string): string {
  return `import_id IN (SELECT id FROM ${database}.${TABLES.imports} FINAL WHERE site IN ${sitesParam} AND status = 'complete')`;
}
