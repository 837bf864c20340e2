/**
 * The built tracker files, read once and served with `Cache-Control`, a strong `ETag`
 * (304 on a match) and precompressed gzip/brotli variants. The tracker sends to
 * `/api/event` next to its own URL; a collector with another `EVENTS_PATH` serves it with
 * that path written in, so a renamed endpoint needs no `data-api` on the page.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Context } from 'hono';

export interface StaticScript {
  etag: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const BUILT_EVENTS_PATH = '"/api/event"';

/** A built script of `@tidemark/tracker` (its package exports `./script.js` and `./script.full.js`). */
export type TrackerScript = 'script.js' | 'script.full.js';

/** Reads a built tracker script, or null when the tracker is not built. */
export function loadScript(name: TrackerScript, eventsPath = '/api/event'): StaticScript | null {
  let raw: Buffer;
  try {
    raw = readFileSync(createRequire(import.meta.url).resolve(`@tidemark/tracker/${name}`));
  } catch {
    return null;
  }
  if (eventsPath !== '/api/event') raw = Buffer.from(raw.toString('utf8').replaceAll(BUILT_EVENTS_PATH, JSON.stringify(eventsPath)));
  return {
    etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`,
    raw,
    gzip: gzipSync(raw, { level: 9 }),
    br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

export function serveScript(c: Context, script: StaticScript | null): Response {
  if (!script) return c.json({ error: 'the tracker is not built: run `pnpm --filter @tidemark/tracker build`' }, 404);
  const headers: Record<string, string> = {
    'Content-Type': 'application/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600, stale-while-revalidate=86400',
    ETag: script.etag,
    Vary: 'Accept-Encoding',
    'Access-Control-Allow-Origin': '*',
  };
  if (
    c.req
      .header('if-none-match')
      ?.split(/\s*,\s*/)
      .includes(script.etag)
  )
    return c.body(null, 304, headers);
  const accept = c.req.header('accept-encoding') ?? '';
  if (/\bbr\b/.test(accept)) return c.body(new Uint8Array(script.br), 200, { ...headers, 'Content-Encoding': 'br' });
  if (/\bgzip\b/.test(accept)) return c.body(new Uint8Array(script.gzip), 200, { ...headers, 'Content-Encoding': 'gzip' });
  return c.body(new Uint8Array(script.raw), 200, headers);
}
