/**
 * Pages that load the other products' real trackers, unmodified, from `node_modules`: Plausible's
 * `@plausible-analytics/tracker` (an ES module) and the older `plausible-tracker` (ES modules whose
 * relative imports name no extension, resolved here as a bundler would). Each site is its own
 * origin, `http://<id>.test:<port>` (Chromium maps *.test to 127.0.0.1: the trackers ignore
 * localhost), and every path of it answers its page, so SPA navigations and reloads land on it.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';

const require = createRequire(import.meta.url);
/** The published files, as npm installed them. */
const ROOTS: Record<string, string> = {
  plausible: dirname(require.resolve('@plausible-analytics/tracker')),
  'plausible-tracker': join(dirname(require.resolve('plausible-tracker/package.json')), 'build', 'module'),
};

export interface ThirdPartySite {
  /** The host name the page runs on, which is also the site the trackers name. */
  name: string;
  url(path?: string): string;
}

/** `script` is the page's module script; it may use `SITE` (the host name) and `COLLECTOR` (the collector's origin). */
export async function startThirdPartyPages(collectorUrl: string) {
  const scripts = new Map<string, string>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const lib = /^\/_\/([a-z-]+)\/(.+)$/.exec(url.pathname);
    if (lib) {
      const root = ROOTS[lib[1] as string];
      const file = root && normalize(join(root, lib[2] as string));
      if (!root || !file?.startsWith(root)) return void res.writeHead(404).end();
      const code = await readFile(file.endsWith('.js') ? file : `${file}.js`).catch(() => null);
      if (code === null) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(code);
    }
    const id = /^([a-z0-9-]+)\.test$/.exec(url.hostname)?.[1];
    const script = id === undefined ? undefined : scripts.get(id);
    if (script === undefined) return void res.writeHead(404).end('no such site');
    const site = `${id}.test`;
    const body = script.replaceAll('SITE', JSON.stringify(site)).replaceAll('COLLECTOR', JSON.stringify(collectorUrl));
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end(
        `<!doctype html><html><head><meta charset="utf-8"><title>${id}</title></head><body style="margin:0"><div style="height:5000px">a long page</div><script type="module">${body}</script></body></html>`,
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('pages: no port');
  return {
    site(script: string): ThirdPartySite {
      const id = `p${randomBytes(5).toString('hex')}`;
      scripts.set(id, script);
      const root = `http://${id}.test:${address.port}`;
      return { name: `${id}.test`, url: (path = '/') => root + path };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
