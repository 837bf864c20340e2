/**
 * The dashboard UI (packages/dashboard-ui, built to its dist/) at `/` and `/assets/*`, served by
 * this API: no CDN, no third-party request. Files are read once, gzipped once, and answered
 * with an ETag; a missing build answers 503 naming the command that makes it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST } from '@tidemark/dashboard-ui';
import type { Context, Hono } from 'hono';

const ASSETS = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/assets/world.json': { file: 'world.json', type: 'application/json' },
} as const;

export const PAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'",
};

interface Asset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

function load(file: string): Asset | null {
  let body: Buffer;
  try {
    body = readFileSync(join(DIST, file));
  } catch {
    return null;
  }
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` };
}

/** Answers one built file (used for `/` and for pages that render the same UI, e.g. a shared link). */
export function serveAsset(c: Context, asset: Asset | null, type: string, extra: Record<string, string> = {}): Response {
  if (asset === null) return c.text('The dashboard UI is not built: run `pnpm build` (or `pnpm start`, which builds it).', 503);
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'Content-Type': type,
    ETag: asset.etag,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Encoding',
    ...PAGE_HEADERS,
    ...extra,
  };
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return c.body(new Uint8Array(gzip ? asset.gzip : asset.body), 200, headers);
}

export function mountPage(app: Hono): void {
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    const asset = load(file);
    app.get(path, (c) => serveAsset(c, asset, type));
  }
}
