/**
 * `GET /api/v2/sites/{site}/export?from&to[&timezone][&format=csv|parquet]` (SPEC §13): the
 * site's raw events for the range, streamed as ClickHouse writes them. `X-Tidemark-Export-Rows`
 * carries the row count first, for progress (`pnpm tidemark export` shows it).
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@tidemark/shared';
import type { Hono } from 'hono';
import {
  countExport,
  EXPORT_TYPES,
  type ExportRequest,
  exportFileName,
  parseExportFormat,
  parseExportRange,
  streamExport,
} from '../exports/events-export.ts';
import { parseSite } from '../params.ts';
import type { Tables } from '../queries/tables.ts';

export interface ExportContext {
  client: ClickHouseClient;
  tables: Tables;
}

export const EXPORT_ROWS_HEADER = 'X-Tidemark-Export-Rows';

export function mountExport(api: Hono, { client, tables }: ExportContext): void {
  api.get('/sites/:site/export', async (c) => {
    const request: ExportRequest = {
      site: parseSite(c.req.param('site')),
      range: parseExportRange(c.req.query()),
      format: parseExportFormat(c.req.query('format')),
    };
    const rows = await countExport(client, tables, request);
    const { stream, bytes } = await streamExport(client, tables, request);
    const headers: Record<string, string> = {
      'Content-Type': EXPORT_TYPES[request.format],
      'Content-Disposition': `attachment; filename="${exportFileName(request)}"`,
      [EXPORT_ROWS_HEADER]: String(rows),
      'Cache-Control': 'no-store',
    };
    if (bytes !== null) headers['Content-Length'] = String(bytes);
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { headers });
  });
}
