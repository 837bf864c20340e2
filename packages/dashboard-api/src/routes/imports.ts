/**
 * A site's imports (SPEC §13, docs/imports.md):
 * - `POST /api/v2/sites/{site}/imports?source=plausible|umami[&timezone][&file=name]`, the body
 *   the export as it is (Plausible's zip; Umami's CSV, gzip-compressed CSV or zip): `201` with
 *   the import once every row is in, `400` naming the file and line of the first problem
 *   (nothing kept), `409` when another import already covers some of its days;
 * - `GET /api/v2/sites/{site}/imports`: the site's imports;
 * - `DELETE /api/v2/sites/{site}/imports/{id}`: drops an import's rows (`204`).
 * The upload is written to a temporary file first (zip archives are read from their end), so
 * memory holds a chunk of it at a time. Each route needs `sites:admin` on the site (SPEC §11);
 * an import made or deleted is in the audit log.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ValidationError } from '@tidemark/shared';
import type { Context, Hono } from 'hono';
import { type AdminContext, audit } from '../admin/common.ts';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { ImportError } from '../imports/csv-table.ts';
import { FILE_NAME_PATTERN, UUID_PATTERN } from '../imports/openapi.ts';
import { type ImportDeps, ImportOverlapError, runImport } from '../imports/run.ts';
import type { ImportSource } from '../imports/store.ts';
import { parseSite } from '../params.ts';
import { zoneName } from '../v2/zone.ts';

/** Largest upload taken: Plausible's exports of years run to hundreds of MB. */
export const MAX_IMPORT_BYTES = 16 * 1024 ** 3;

export interface ImportsContext extends ImportDeps {
  /** A site's own time zone (the sites registry), for Umami's days; null → UTC. */
  siteTimezone: (site: string) => string | null;
}

const UUID = new RegExp(UUID_PATTERN);
const FILE_NAME = new RegExp(FILE_NAME_PATTERN);

class TooLarge extends Error {}

function sourceOf(value: string | undefined): ImportSource {
  if (value === 'plausible' || value === 'umami') return value;
  throw new ValidationError('source: must be plausible or umami', 'source');
}

function zoneOf(value: string | undefined, fallback: string | null): string {
  const zone = zoneName(value ?? fallback ?? 'UTC');
  if (zone === null) throw new ValidationError('timezone: not an IANA time zone', 'timezone');
  return zone;
}

/** The upload to a temporary file, at most `MAX_IMPORT_BYTES`. */
async function saveUpload(c: Context, path: string): Promise<number> {
  const body = c.req.raw.body;
  if (body === null) throw new ValidationError('body: the export file is required', 'body');
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _, done) {
      size += chunk.length;
      done(size > MAX_IMPORT_BYTES ? new TooLarge() : null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), limit, createWriteStream(path));
  return size;
}

export function mountImports(api: Hono<ApiEnv>, guard: Guard, admin: AdminContext, context: ImportsContext): void {
  const siteOf = (c: Context<ApiEnv>): string => {
    const site = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', site);
    return site;
  };

  api.post('/sites/:site/imports', guard.scope('sites:admin'), async (c) => {
    const site = siteOf(c);
    const source = sourceOf(c.req.query('source'));
    const timezone = zoneOf(c.req.query('timezone'), context.siteTimezone(site));
    const fileName = c.req.query('file') ?? (source === 'plausible' ? 'plausible-export.zip' : 'website_event.csv');
    if (!FILE_NAME.test(fileName))
      throw new ValidationError('file: a file name of letters, digits, spaces, dots, dashes and underscores', 'file');
    const path = join(tmpdir(), `tidemark-import-${randomBytes(8).toString('hex')}`);
    try {
      try {
        if ((await saveUpload(c, path)) === 0) throw new ValidationError('body: the export file is required', 'body');
      } catch (error) {
        if (error instanceof TooLarge) return c.json({ error: `body: larger than ${MAX_IMPORT_BYTES} bytes`, field: 'body' }, 413);
        throw error;
      }
      const record = await runImport(context, { site, source, path, fileName, timezone });
      const details = { source, file: fileName, rows: record.rows, from: record.dateFrom, to: record.dateTo };
      await audit(c, admin, 'import.create', { site, target: record.id, details });
      return c.json(record, 201);
    } catch (error) {
      if (error instanceof ImportError) return c.json({ error: error.message, field: 'body', file: error.file, line: error.line }, 400);
      if (error instanceof ImportOverlapError) return c.json({ error: error.message, overlaps: error.overlaps }, 409);
      throw error;
    } finally {
      await unlink(path).catch(() => {});
    }
  });

  api.get('/sites/:site/imports', guard.scope('sites:admin'), async (c) => {
    const site = siteOf(c);
    return c.json({ imports: await context.store.list(site) });
  });

  api.delete('/sites/:site/imports/:id', guard.scope('sites:admin'), async (c) => {
    const site = siteOf(c);
    const id = c.req.param('id');
    if (!UUID.test(id)) throw new ValidationError('id: must be an import id (a UUID)', 'id');
    const record = await context.store.get(site, id);
    if (record === null) return c.json({ error: `no import ${id} for ${site}` }, 404);
    await context.store.dropRows(id);
    await context.store.save({ ...record, status: 'deleted', updatedAt: new Date(context.now()).toISOString() });
    await audit(c, admin, 'import.delete', { site, target: id, details: { source: record.source, rows: record.rows } });
    return c.body(null, 204);
  });
}
