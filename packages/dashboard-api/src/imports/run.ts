/**
 * One import, all or nothing (SPEC §13): the upload is read file by file, record by record, each
 * checked as it streams and written in batches under a new import id while the import is
 * `importing` (reports do not see it). Any problem — a malformed line, a truncated file, an
 * overlap with another import of the site — drops every row written under the id and leaves the
 * import `failed`; it can be retried with the same upload. Only a complete import is counted.
 * The `importing` record is written just before the first row, and a failure drops only the tables
 * rows went to: an upload refused before any row (a foreign or malformed file, the usual case)
 * costs one record of its failure and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { type ClickHouseClient, IMPORTED_TABLES, type ImportedTable, TABLES } from '@tidemark/shared';
import { readArchive } from './archive.ts';
import { type BatchWriter, createBatchWriter } from './batch-writer.ts';
import { ImportError, readTable } from './csv-table.ts';
import { PLAUSIBLE_SPECS, plausibleRow, plausibleTable } from './plausible.ts';
import { type ImportRecord, type ImportSource, type ImportStore, newRecord } from './store.ts';
import { aggregateUmami, UMAMI_SPEC, umamiRow } from './umami.ts';

export interface ImportDeps {
  client: ClickHouseClient;
  database: string;
  store: ImportStore;
  now: () => number;
}

export interface ImportRequest {
  site: string;
  source: ImportSource;
  /** The uploaded file on disk. */
  path: string;
  /** Its name, as the sender gave it (errors name it). */
  fileName: string;
  /** Umami's times are UTC: they are counted on the days of this zone. Plausible's rows carry their days. */
  timezone: string;
}

/** Another complete import of the site already covers some of the days. */
export class ImportOverlapError extends Error {
  override readonly name = 'ImportOverlapError';
  readonly overlaps: string[];
  constructor(message: string, overlaps: string[]) {
    super(message);
    this.overlaps = overlaps;
  }
}

interface Written {
  rows: number;
  tables: string[];
}

/** Files of Umami's export that are not its events (props and session data, which Tidemark's imported tables have no place for). */
const UMAMI_OTHER_FILES = /(^|\/)(event_data|session_data)[^/]*$/i;

/** A batch writer of the import's rows into one table (`site` and `import_id` on every row). */
type Writers = (table: string) => BatchWriter;

async function writePlausible(request: ImportRequest, writerOf: Writers): Promise<Written> {
  const archive = await readArchive(request.path, request.fileName);
  try {
    if (archive.entries.length === 0) throw new ImportError(request.fileName, null, 'holds no CSV files');
    const writers = new Map<ImportedTable, BatchWriter>();
    for (const entry of archive.entries) {
      const table = plausibleTable(entry.name);
      if (table === null) {
        throw new ImportError(
          entry.name,
          null,
          "is not a file of Plausible's CSV export (imported_visitors_<from>_<to>.csv, imported_pages_…, …)",
        );
      }
      let writer = writers.get(table);
      if (writer === undefined) {
        writer = writerOf(table);
        writers.set(table, writer);
      }
      for await (const { values } of readTable(await entry.open(), entry.name, PLAUSIBLE_SPECS[table])) {
        await writer.add(plausibleRow(table, values));
      }
    }
    let rows = 0;
    for (const writer of writers.values()) rows += await writer.flush();
    return { rows, tables: [...writers.keys()] };
  } finally {
    archive.close();
  }
}

async function writeUmami(deps: ImportDeps, request: ImportRequest, id: string, writerOf: Writers): Promise<Written> {
  const archive = await readArchive(request.path, request.fileName);
  const staging = writerOf(TABLES.importedUmamiEvents);
  try {
    const files = archive.entries.filter((e) => !UMAMI_OTHER_FILES.test(e.name));
    if (files.length === 0) throw new ImportError(request.fileName, null, "holds no website_event CSV of Umami's export");
    for (const entry of files) {
      for await (const { values } of readTable(await entry.open(), entry.name, UMAMI_SPEC)) {
        const row = umamiRow(values);
        if (row !== null) await staging.add(row);
      }
    }
  } finally {
    archive.close();
  }
  const rows = await staging.flush();
  if (rows === 0) return { rows, tables: [] };
  await aggregateUmami(deps.client, deps.database, { site: request.site, id, tz: request.timezone });
  return { rows, tables: [...IMPORTED_TABLES] };
}

/** The days the import's rows cover (every export has daily visitor totals; else any table). */
async function daysOf(deps: ImportDeps, id: string, tables: string[]): Promise<{ from: string; to: string } | null> {
  const union = tables.map((t) => `SELECT date FROM ${deps.database}.${t} WHERE import_id = {id:UUID}`).join(' UNION ALL ');
  const result = await deps.client.query({
    query: `SELECT toString(min(date)) AS from, toString(max(date)) AS to, count() AS n FROM (${union})`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ from: string; to: string; n: string | number }>();
  return row && Number(row.n) > 0 ? { from: row.from, to: row.to } : null;
}

async function checkOverlap(deps: ImportDeps, record: ImportRecord): Promise<void> {
  const others = (await deps.store.list(record.site)).filter(
    (r) => r.id !== record.id && r.status === 'complete' && r.dateFrom <= record.dateTo && r.dateTo >= record.dateFrom,
  );
  if (others.length === 0) return;
  const names = others.map((r) => `${r.id} (${r.source}, ${r.dateFrom} to ${r.dateTo})`).join(', ');
  throw new ImportOverlapError(
    `the import covers ${record.dateFrom} to ${record.dateTo}, which overlaps ${names}: delete that import first, or import another range`,
    others.map((r) => r.id),
  );
}

/** Runs one import to its end; resolves to the complete record, or rejects after dropping everything it wrote. */
export async function runImport(deps: ImportDeps, request: ImportRequest): Promise<ImportRecord> {
  const id = randomUUID();
  const record = newRecord(request.site, id, request.source, request.fileName, request.timezone, deps.now());
  let begun: Promise<void> | null = null;
  /** Tables rows of the import may be in (so a failure drops those only). */
  const touched = new Set<string>();
  const writerOf: Writers = (table) =>
    createBatchWriter(deps.client, `${deps.database}.${table}`, { site: request.site, import_id: id }, () => {
      touched.add(table);
      if (request.source === 'umami') for (const t of IMPORTED_TABLES) touched.add(t); // the staged rows are folded into all
      begun ??= deps.store.save(record);
      return begun;
    });
  try {
    const written =
      request.source === 'plausible' ? await writePlausible(request, writerOf) : await writeUmami(deps, request, id, writerOf);
    const days = written.tables.length === 0 ? null : await daysOf(deps, id, written.tables);
    if (days === null) throw new ImportError(request.fileName, null, 'holds no rows to import');
    const done: ImportRecord = {
      ...record,
      status: 'complete',
      dateFrom: days.from,
      dateTo: days.to,
      rows: written.rows,
      tables: written.tables,
    };
    await checkOverlap(deps, done);
    if (request.source === 'umami') await dropStaging(deps, id);
    await deps.store.save({ ...done, updatedAt: new Date(deps.now()).toISOString() });
    return done;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // If ClickHouse itself is failing, the rows stay invisible (`importing`) and a delete drops them later.
    if (touched.size > 0) await deps.store.dropRows(id, [...touched]).catch(() => {});
    await deps.store.save({ ...record, status: 'failed', error: message, updatedAt: new Date(deps.now()).toISOString() }).catch(() => {});
    throw error;
  }
}

async function dropStaging(deps: ImportDeps, id: string): Promise<void> {
  await deps.client.command({
    query: `ALTER TABLE ${deps.database}.${TABLES.importedUmamiEvents} DROP PARTITION {id:UUID}`,
    query_params: { id },
  });
}
