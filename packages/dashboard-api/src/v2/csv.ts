/** The CSV form of an answer (`Accept: text/csv` or `"format": "csv"`): a header line, then one line per row (RFC 4180 quoting). */
import type { Answer } from './engine.ts';
import type { Query } from './parse.ts';

function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLines(query: Query, answer: Answer): string[] {
  const header: string[] = [...query.dimensions, ...query.metrics];
  if (query.compare) for (const m of query.metrics) header.push(`${m}_comparison`, `${m}_change`);
  const lines = [header.map(cell).join(',')];
  for (const row of answer.results) {
    const values: unknown[] = [...row.dimensions, ...row.metrics];
    if (query.compare) {
      for (let i = 0; i < query.metrics.length; i++) values.push(row.comparison?.metrics[i], row.comparison?.change[i]);
    }
    lines.push(values.map(cell).join(','));
  }
  return lines;
}
