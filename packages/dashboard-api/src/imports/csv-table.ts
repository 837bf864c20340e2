/**
 * One CSV file of an import, read as it streams (csv-parse): a header line naming the columns,
 * then records checked against a column spec. Columns are matched by name, in any order;
 * required ones must be there, unknown ones are ignored (exports grow columns over time). Every
 * problem is an `ImportError` naming the file and the line, and stops the import.
 */
import type { Readable } from 'node:stream';
import { ValidationError } from '@tidemark/shared';
import { CsvError, parse } from 'csv-parse';

/** A malformed file: answered 400 with the file and line, and nothing of the import is kept. */
export class ImportError extends ValidationError {
  readonly file: string;
  readonly line: number | null;
  constructor(file: string, line: number | null, problem: string) {
    super(`${file}${line === null ? '' : `, line ${line}`}: ${problem}`, 'body');
    this.file = file;
    this.line = line;
  }
}

/** `id`: a non-empty identifier (a UUID or a hash) of at most 64 characters. */
export type Kind = 'date' | 'count' | 'text' | 'datetime' | 'id';

export interface ColumnSpec {
  kind: Kind;
  required: boolean;
}

export type Spec = Record<string, ColumnSpec>;
export type Value = string | number;

/** Longest text value kept (a URL is at most 2048 characters in Tidemark). */
export const MAX_TEXT = 2048;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const DATETIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d{1,6})?(Z|[+-]00:?00)?$/;
const COUNT = /^\d{1,15}$/;
/** ClickHouse writes a NULL as `\N`: an absent number. */
const NULL = '\\N';

function realDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** The value as its kind, or a reason it is not one. */
export function convert(kind: Kind, raw: string): Value | { problem: string } {
  switch (kind) {
    case 'count':
      if (raw === '' || raw === NULL) return 0;
      return COUNT.test(raw) ? Number(raw) : { problem: `must be a whole number ≥ 0, not "${raw.slice(0, 40)}"` };
    case 'date':
      return realDate(raw) ? raw : { problem: `must be a date YYYY-MM-DD, not "${raw.slice(0, 40)}"` };
    case 'datetime': {
      const m = DATETIME.exec(raw);
      if (!m || !realDate(m[1] as string)) return { problem: `must be a UTC time YYYY-MM-DD hh:mm:ss, not "${raw.slice(0, 40)}"` };
      return `${m[1]} ${m[2]}`;
    }
    case 'id':
      return raw !== '' && raw !== NULL && raw.length <= 64 ? raw : { problem: 'must be an id of 1 to 64 characters' };
    default:
      if (raw === NULL) return '';
      return raw.length <= MAX_TEXT ? raw : { problem: `longer than ${MAX_TEXT} characters` };
  }
}

export interface TableRow {
  /** The line the record ends on. */
  line: number;
  values: Record<string, Value>;
}

/** The header's columns, lower-cased and trimmed, checked against the spec. */
function headerOf(record: string[], file: string, spec: Spec): string[] {
  const names = record.map((n) => n.trim().toLowerCase());
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name) && spec[name] !== undefined) throw new ImportError(file, 1, `the column ${name} appears twice`);
    seen.add(name);
  }
  const missing = Object.keys(spec).filter((name) => spec[name]?.required && !seen.has(name));
  if (missing.length > 0) throw new ImportError(file, 1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return names;
}

/**
 * The records of `stream` as values of the spec's columns (absent optional ones are 0 or '').
 * Throws `ImportError` on the first problem.
 */
export async function* readTable(stream: Readable, file: string, spec: Spec): AsyncGenerator<TableRow> {
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n'] });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  let header: string[] | null = null;
  let lastLine = 0;
  const defaults: Record<string, Value> = {};
  for (const [name, column] of Object.entries(spec)) defaults[name] = column.kind === 'count' ? 0 : '';
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === null) {
        header = headerOf(record, file, spec);
        continue;
      }
      const values: Record<string, Value> = { ...defaults };
      for (let i = 0; i < header.length; i++) {
        const name = header[i] as string;
        const column = spec[name];
        if (column === undefined) continue;
        const raw = record[i] as string;
        if (raw === '' && column.required && column.kind !== 'count' && column.kind !== 'text') {
          throw new ImportError(file, info.lines, `${name}: is empty`);
        }
        const value = convert(column.kind, raw);
        if (typeof value === 'object') throw new ImportError(file, info.lines, `${name}: ${value.problem}`);
        values[name] = value;
      }
      lastLine = info.lines;
      yield { line: info.lines, values };
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    if (error instanceof CsvError) {
      const lines = (error as CsvError & { lines?: number }).lines ?? null;
      throw new ImportError(file, lines, `not valid CSV (${error.message.replace(/ on line \d+\.?$/, '').replace(/:$/, '')})`);
    }
    // The bytes stopped or broke (a truncated or damaged archive entry, a cut gzip stream).
    const message = error instanceof Error ? error.message : String(error);
    throw new ImportError(file, lastLine + 1, `could not be read to the end (${message})`);
  } finally {
    stream.unpipe(parser);
    if (!stream.destroyed) stream.destroy();
  }
  if (header === null) throw new ImportError(file, null, 'is empty: a header line naming the columns is required');
}
