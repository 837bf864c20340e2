/**
 * The live dashboard page at `/` and its assets, read once from `../page/` and served by
 * this API (no CDN): plain HTML, CSS and a script that draws its charts as SVG.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';

const ASSETS = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/assets/conversions.js': { file: 'conversions.js', type: 'text/javascript; charset=utf-8' },
} as const;

export function mountPage(app: Hono): void {
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`../page/${file}`, import.meta.url));
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
    app.get(path, (c) => {
      const headers = {
        'Content-Type': type,
        ETag: etag,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Content-Security-Policy': "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'",
      };
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
      return c.body(body, 200, headers);
    });
  }
}
