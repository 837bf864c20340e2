/**
 * The pages, served by this API (no CDN, no third-party request): the dashboard UI
 * (packages/dashboard-ui, built to its dist/) at `/` and `/assets/*` — also at `/share/<slug>`
 * for a shared link (routes/share.ts) — and the settings page at `/settings` (`../page/`, plain
 * scripts on the same session calls, styled by the UI's app.css). Files are read once, gzipped
 * once, and answered with an ETag; a missing UI build answers 503 naming the command that makes it.
 * A page names its assets with their version (`/assets/app.js?v=<hash>`): asked with that version,
 * an asset is cached for a year as immutable, so a page load revalidates only the page itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DIST } from '@tidemark/dashboard-ui';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
  /** The content's hash, as a page names the asset (`?v=`). */
  version: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
};
const PAGE = fileURLToPath(new URL('../page/', import.meta.url));

function asset(file: string, body: Buffer): Asset {
  const type = TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  const version = createHash('sha1').update(body).digest('base64url').slice(0, 16);
  return { body, gzip: gzipSync(body, { level: 9 }), type, etag: `"${version}"`, version };
}

function load(dir: string, file: string): Asset | null {
  try {
    return asset(file, readFileSync(join(dir, file)));
  } catch {
    return null;
  }
}

/** A page whose `"/assets/<file>"` references carry the version of the asset they name. */
function page(dir: string, file: string, assets: Record<string, Asset | null>): Asset | null {
  const html = load(dir, file);
  if (html === null) return null;
  const text = html.body.toString('utf8').replace(/"(\/assets\/[\w.-]+)"/g, (ref, path: string) => {
    const named = assets[path];
    return named ? `"${path}?v=${named.version}"` : ref;
  });
  return asset(file, Buffer.from(text));
}

const FILES = {
  '/assets/app.js': load(DIST, 'app.js'),
  '/assets/app.css': load(DIST, 'app.css'),
  '/assets/world.json': load(DIST, 'world.json'),
  '/assets/settings.js': load(PAGE, 'settings.js'),
  '/assets/settings.css': load(PAGE, 'settings.css'),
  '/assets/session.js': load(PAGE, 'session.js'),
  '/assets/table.js': load(PAGE, 'table.js'),
};

/** Every page and asset by path; the dashboard's `/` is what `/share/<slug>` serves too. */
export const ASSETS = {
  '/': page(DIST, 'index.html', FILES),
  '/settings': page(PAGE, 'settings.html', FILES),
  ...FILES,
} satisfies Record<string, Asset | null>;

/** Who may frame a page: nobody, unless a shared link names origins. */
export function csp(frameAncestors: readonly string[] = []): string {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'";
  return `default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors ${ancestors}`;
}

/** Answers one file (a page's framing rules are per shared link, so they are the caller's). */
export function serveAsset(c: Context, asset: Asset | null, frameAncestors: readonly string[] = []): Response {
  if (asset === null) return c.text('The dashboard UI is not built: run `pnpm build` (or `pnpm start`, which builds it).', 503);
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    ETag: asset.etag,
    // The version a page names never changes its content; anything else is revalidated.
    'Cache-Control': c.req.query('v') === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache',
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': csp(frameAncestors),
  };
  if (frameAncestors.length === 0) headers['X-Frame-Options'] = 'DENY';
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  if (gzip) headers['Content-Encoding'] = 'gzip';
  return c.body(new Uint8Array(gzip ? asset.gzip : asset.body), 200, headers);
}

export function mountPage(app: Hono<ApiEnv>): void {
  for (const [path, asset] of Object.entries(ASSETS)) app.get(path, (c) => serveAsset(c, asset));
}
