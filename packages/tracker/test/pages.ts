/**
 * The test sites: one node:http server on 127.0.0.1 that serves every test its own site.
 * A site is reached as `http://<id>.test:<port>/…` (the browser maps *.test to 127.0.0.1, so
 * the page is an ordinary, non-loopback, non-secure origin of its own) or, for the loopback
 * tests, as `http://127.0.0.1:<port>/<id>/…`. Every path of a site answers the same page.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

export interface SiteOptions {
  /** `core` → script.js (default), `full` → script.full.js. */
  build?: 'core' | 'full';
  /** data-* attributes of the script tag besides data-site (`true` → present without value). */
  attrs?: Record<string, string | true>;
  /** `test` (default): `http://<id>.test:<port>`; `loopback`: `http://127.0.0.1:<port>/<id>`. */
  host?: 'test' | 'loopback';
  /** `collector` (default): the script comes from the collector; `page`: from the page's own origin. */
  scriptFrom?: 'collector' | 'page';
  /** HTML before the tracker's script tag (e.g. the queue snippet). */
  head?: string;
  body?: string;
}

export interface TestSite {
  /** The data-site value, also the `site` of every stored row. */
  name: string;
  /** `url('/a?b')` → the absolute URL of that page of the site. */
  url(path?: string): string;
}

/** A file of a type the full build counts as a download (served as an attachment). */
const DOWNLOAD = /\.(pdf|zip|csv)$/;

export async function startPages(collectorUrl: string) {
  const sites = new Map<string, SiteOptions>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const testHost = /^([a-z0-9-]+)\.test$/.exec(url.hostname);
    const id = testHost ? testHost[1] : url.pathname.split('/')[1];
    const site = id === undefined ? undefined : sites.get(id);
    if (!site) return void res.writeHead(404).end('no such site');
    if (url.pathname.endsWith('/_/script.js') || url.pathname.endsWith('/_/script.full.js')) {
      const code = await readFile(dist(url.pathname.endsWith('full.js') ? 'script.full.js' : 'script.js'));
      return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(code);
    }
    if (DOWNLOAD.test(url.pathname)) {
      return void res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'attachment' }).end('data');
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page(id as string, site));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('pages: no port');
  const { port } = address;

  function page(id: string, { build = 'core', attrs = {}, host = 'test', scriptFrom = 'collector', head = '', body = '' }: SiteOptions) {
    const file = build === 'full' ? 'script.full.js' : 'script.js';
    const src = scriptFrom === 'page' ? `${base(id, host)}/_/${file}` : `${collectorUrl}/${file}`;
    const data = Object.entries<string | true>({ site: siteName(id), ...attrs })
      .map(([key, value]) => (value === true ? ` data-${key}` : ` data-${key}="${value}"`))
      .join('');
    return `<!doctype html><html><head><meta charset="utf-8"><title>${id}</title>${head}<script defer src="${src}"${data}></script></head><body>${body}</body></html>`;
  }

  const base = (id: string, host: SiteOptions['host']) =>
    host === 'loopback' ? `http://127.0.0.1:${port}/${id}` : `http://${id}.test:${port}`;
  const siteName = (id: string) => `${id}.test`;

  return {
    port,
    /** Registers a new site with a unique id. */
    site(options: SiteOptions = {}): TestSite {
      const id = `t${randomBytes(5).toString('hex')}`;
      sites.set(id, options);
      const root = base(id, options.host);
      return { name: typeof options.attrs?.site === 'string' ? options.attrs.site : siteName(id), url: (path = '/') => root + path };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
