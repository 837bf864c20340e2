/**
 * Where the tracker's events go in the browser tests, and how a test reads what was stored.
 * The tests only see `Backend`: a collector URL (serving /script.js, /script.full.js and taking
 * POST /api/event) and the stored rows of one site, in the columns of the `events` table.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The columns of `events` the tracker tests look at (SPEC §5; ClickHouse defaults for absent values). */
export interface StoredRow {
  site: string;
  name: string;
  url: string;
  path: string;
  referrer: string;
  event_id: string;
  /** The nil UUID when the event has none. */
  pageview_id: string;
  duration_ms: number;
  screen_width: number;
  props: Record<string, string>;
}

export interface Backend {
  /** `real`: the embedded stack (collector → queue → ingester → ClickHouse); `fake`: a recording stand-in. */
  kind: 'real' | 'fake';
  /** Serves `/script.js`, `/script.full.js`; takes events at `/api/event`. */
  collectorUrl: string;
  /** The stored rows of one site, oldest first. */
  rows(site: string): Promise<StoredRow[]>;
  stop(): Promise<void>;
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The lead's embedded stack harness (`/work/main/test/harness.ts`), loaded when it exists. */
interface Harness {
  startStack(): Promise<{
    collectorUrl: string;
    query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
    stop(): Promise<void>;
  }>;
}

const HARNESS = fileURLToPath(new URL('../../../test/harness.ts', import.meta.url));

const COLUMNS = `site, name, url, path, referrer, toString(event_id) AS event_id, toString(pageview_id) AS pageview_id,
  duration_ms, screen_width, props`;

/** Starts the real stack when the harness exists, else the fake (`TIDEMARK_FAKE_COLLECTOR` is not consulted: no silent fallback once the harness is there). */
export async function startBackend(): Promise<Backend> {
  if (!existsSync(HARNESS)) return startFakeCollector();
  const harness = (await import(pathToFileURL(HARNESS).href)) as Harness;
  const stack = await harness.startStack();
  return {
    kind: 'real',
    collectorUrl: stack.collectorUrl,
    async rows(site) {
      const rows = await stack.query<StoredRow>(`SELECT ${COLUMNS} FROM events WHERE site = {site:String} ORDER BY timestamp`, { site });
      return rows.map((row) => ({ ...row, duration_ms: Number(row.duration_ms), screen_width: Number(row.screen_width) }));
    },
    stop: () => stack.stop(),
  };
}

/** A stand-in collector until the harness exists: records valid-looking events in memory. */
async function startFakeCollector(): Promise<Backend> {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { fullScriptPath, scriptPath } = await import('../src/paths.ts');
  const stored: StoredRow[] = [];
  const cors = { 'Access-Control-Allow-Origin': '*' };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && (path === '/script.js' || path === '/script.full.js')) {
      readFile(path === '/script.js' ? scriptPath : fullScriptPath).then(
        (code) => res.writeHead(200, { 'Content-Type': 'text/javascript', ...cors }).end(code),
        () => res.writeHead(404).end(),
      );
      return;
    }
    if (req.method !== 'POST' || path !== '/api/event') return void res.writeHead(404, cors).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const event of Array.isArray(body) ? body : [body]) stored.push(toRow(event as Record<string, unknown>));
        res.writeHead(202, cors).end();
      } catch (error) {
        res.writeHead(400, cors).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake collector: no port');
  return {
    kind: 'fake',
    collectorUrl: `http://127.0.0.1:${address.port}`,
    rows: async (site) => stored.filter((row) => row.site === site),
    stop: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function toRow(event: Record<string, unknown>): StoredRow {
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  const url = str(event.url);
  return {
    site: str(event.site).toLowerCase(),
    name: str(event.name),
    url,
    path: new URL(url).pathname,
    referrer: str(event.referrer),
    event_id: str(event.eventId),
    pageview_id: str(event.pageviewId) || NIL_UUID,
    duration_ms: typeof event.durationMs === 'number' ? event.durationMs : 0,
    screen_width: typeof event.screenWidth === 'number' ? event.screenWidth : 0,
    props: Object.fromEntries(Object.entries((event.props ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
  };
}
