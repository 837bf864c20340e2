/**
 * `GET /api/v2/sites/{site}/export?from&to[&timezone][&format=csv|parquet]` (SPEC §13): the
 * site's raw events for the range, streamed as ClickHouse writes them. `X-Tidemark-Export-Rows`
 * carries the row count first, for progress (`pnpm tidemark export` shows it).
 *
 * It needs `stats:read` on the site (SPEC §11) from a key, a user or `API_TOKEN`: raw events are
 * more than any dashboard shows, so a shared link (whose locked filters cannot hold on raw rows)
 * and a public site's anonymous visitor may not export. Each export is in the audit log.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@tidemark/shared';
import type { Hono } from 'hono';
import { type AdminContext, audit } from '../admin/common.ts';
import type { ApiContext, ApiEnv } from '../auth/context.ts';
import { AccessDenied, type Guard } from '../auth/guard.ts';
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

/** `stats:read` on the site, from a principal that is not a shared link or an anonymous visitor. */
function checkExport(c: ApiContext, guard: Guard, site: string): void {
  guard.site(c, 'stats:read', site);
  const kind = c.var.auth.principal.kind;
  if (kind === 'share') throw new AccessDenied('a shared link cannot export raw events', 403);
  if (kind === 'anonymous') throw new AccessDenied('sign in: a key or a session is required', 401);
}

export function mountExport(api: Hono<ApiEnv>, guard: Guard, admin: AdminContext, { client, tables }: ExportContext): void {
  api.get('/sites/:site/export', guard.scope('stats:read'), async (c) => {
    const site = parseSite(c.req.param('site'));
    checkExport(c, guard, site);
    const request: ExportRequest = {
      site,
      range: parseExportRange(c.req.query()),
      format: parseExportFormat(c.req.query('format')),
    };
    // The count (for the header) and the export start together: one round trip before the first byte, not two.
    const [counted, exported] = await Promise.allSettled([countExport(client, tables, request), streamExport(client, tables, request)]);
    if (counted.status === 'rejected' || exported.status === 'rejected') {
      if (exported.status === 'fulfilled') exported.value.stream.destroy();
      throw counted.status === 'rejected' ? counted.reason : (exported as PromiseRejectedResult).reason;
    }
    const rows = counted.value;
    const { stream, bytes } = exported.value;
    try {
      await audit(c, admin, 'site.export', { site, target: site, details: { format: request.format, ...request.range, rows } });
    } catch (error) {
      stream.destroy();
      throw error;
    }
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
