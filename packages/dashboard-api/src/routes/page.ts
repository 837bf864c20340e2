/**
 * The pages — the live dashboard at `/`, the settings at `/settings`, the same dashboard for a
 * shared link at `/share/<slug>` — and their assets, read once from `../page/` and served by
 * this API (no CDN): plain HTML, CSS and scripts that draw charts as SVG.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';

interface Asset {
  body: Buffer<ArrayBuffer>;
  type: string;
  etag: string;
}

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

function load(file: string): Asset {
  const body = readFileSync(new URL(`../page/${file}`, import.meta.url));
  const type = TYPES[file.slice(file.lastIndexOf('.') + 1) as keyof typeof TYPES];
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"` };
}

export const ASSETS = {
  '/': load('index.html'),
  '/settings': load('settings.html'),
  '/assets/dashboard.js': load('dashboard.js'),
  '/assets/session.js': load('session.js'),
  '/assets/dashboard.css': load('dashboard.css'),
  '/assets/settings.js': load('settings.js'),
  '/assets/table.js': load('table.js'),
  '/assets/conversions.js': load('conversions.js'),
} as const;

/** Who may frame a page: nobody, unless a shared link names origins. */
export function csp(frameAncestors: readonly string[] = []): string {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'";
  return `default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors ${ancestors}`;
}

export function serveAsset(c: Context, asset: Asset, frameAncestors: readonly string[] = []): Response {
  const headers: Record<string, string> = {
    'Content-Type': asset.type,
    ETag: asset.etag,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': csp(frameAncestors),
  };
  if (frameAncestors.length === 0) headers['X-Frame-Options'] = 'DENY';
  // The ETag is the file's; a page's framing rules are per link, so the answer varies by path.
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  return c.body(asset.body, 200, headers);
}

export function mountPage(app: Hono<ApiEnv>): void {
  for (const [path, asset] of Object.entries(ASSETS)) app.get(path, (c) => serveAsset(c, asset));
}
