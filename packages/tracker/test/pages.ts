/**
 * The test sites: one node:http server on 127.0.0.1 that serves every test its own site, with
 * the tracker in either form: the script tag (`script.js` / `script.full.js`, configured by
 * data-* attributes) or the npm module (`dist/index.js`, imported by an inline module script
 * and configured by the same options passed to `init`).
 * A site is reached as `http://<id>.test:<port>/…` (the browser maps *.test to 127.0.0.1, so
 * the page is an ordinary, non-loopback, non-secure origin of its own) or, for the loopback
 * tests, as `http://127.0.0.1:<port>/<id>/…`. Every path of a site answers the same page.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

export type Form = 'script' | 'module';

export interface SiteOptions {
  /** `script` (default): the script tag; `module`: the npm module's `init`, with `window.tidemark` calling its `track`. */
  form?: Form;
  /** `core` → script.js (default), `full` → script.full.js; for the module: without or with its features. */
  build?: 'core' | 'full';
  /** data-* attributes of the script tag besides data-site (`true` → present without value). */
  attrs?: Record<string, string | true>;
  /** `test` (default): `http://<id>.test:<port>`; `loopback`: `http://127.0.0.1:<port>/<id>`. */
  host?: 'test' | 'loopback';
  /** `collector` (default): the script comes from the collector; `page`: from the page's own origin. */
  scriptFrom?: 'collector' | 'page';
  /**
   * The module form with a script of the test's own instead of the standard one: given the URLs
   * of the production and development modules and of the collector's events endpoint.
   */
  moduleScript?: (urls: { site: string; module: string; devModule: string; endpoint: string }) => string;
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
    const built = /\/_\/(script\.js|script\.full\.js|index(\.dev)?\.js(\.map)?)$/.exec(url.pathname)?.[1];
    if (built) return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(await readFile(dist(built)));
    if (DOWNLOAD.test(url.pathname)) {
      return void res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'attachment' }).end('data');
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page(id as string, site));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('pages: no port');
  const { port } = address;

  function page(id: string, options: SiteOptions) {
    const { form = 'script', build = 'core', attrs = {}, host = 'test', scriptFrom = 'collector', head = '', body = '' } = options;
    const all = { site: siteName(id), ...attrs };
    const data = Object.entries<string | true>(all)
      .map(([key, value]) => (value === true ? ` data-${key}` : ` data-${key}="${value}"`))
      .join('');
    const file = build === 'full' ? 'script.full.js' : 'script.js';
    const src = scriptFrom === 'page' ? `${base(id, host)}/_/${file}` : `${collectorUrl}/${file}`;
    const tracker = form === 'module' ? moduleScript(id, options, all, data) : `<script defer src="${src}"${data}></script>`;
    return `<!doctype html><html><head><meta charset="utf-8"><title>${id}</title>${head}${tracker}</head><body>${body}</body></html>`;
  }

  /**
   * The module form of the same page: `init` with the options the script tag's attributes name
   * (the module's default endpoint is the page's own origin, so it is given the collector's),
   * the features the attributes name (and the full build's clicks) imported, and `window.tidemark` calling `track` — the calls a
   * page queued before (the README snippet) go through `track` before `init`, so the module's
   * own pre-init queue orders them after the initial pageview.
   */
  function moduleScript(id: string, options: SiteOptions, attrs: Record<string, string | true>, data: string) {
    const { build = 'core', host = 'test', moduleScript: custom } = options;
    const endpoint = `${collectorUrl}/api/event`;
    if (custom) {
      const urls = {
        site: String(attrs.site),
        module: `${base(id, host)}/_/index.js`,
        devModule: `${base(id, host)}/_/index.dev.js`,
        endpoint,
      };
      return `<script type="module"${data}>${custom(urls)}</script>`;
    }
    const full = build === 'full';
    const init = [
      `site: ${JSON.stringify(attrs.site)}`,
      `endpoint: ${JSON.stringify(typeof attrs.api === 'string' ? attrs.api : endpoint)}`,
      `allowLocalhost: ${attrs['allow-localhost'] !== undefined}`,
      ...(attrs['respect-dnt'] !== undefined ? ['respectDnt'] : []),
      ...(full && attrs.hash !== undefined ? ['hashRouting'] : []),
      ...(full ? ['fileDownloads', 'outboundLinks'] : []),
    ];
    return `<script type="module"${data}>
import { init, track, fileDownloads, outboundLinks, respectDnt, hashRouting } from '${base(id, host)}/_/index.js';
const queued = window.tidemark?.q ?? [];
window.tidemark = (name, options) => track(name, options);
for (const args of queued) track(...args);
init({ ${init.join(', ')} });
</script>`;
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
