/**
 * Where the browser tests' events go: the real embedded stack (collector → in-process queue →
 * ingester → ClickHouse engine), and how a test reads what it stored. Tests see only `Backend`.
 */

import { startStack } from '../../../test/harness.ts';
import { ensureBuilt } from '../src/build.ts';

/** The columns of `events` the tracker tests look at (ClickHouse defaults for absent values). */
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
  /** Serves `/script.js` and `/script.full.js`; takes events at `/api/event`. */
  collectorUrl: string;
  /** The stored rows of one site, in receive order. */
  rows(site: string): Promise<StoredRow[]>;
  stop(): Promise<void>;
}

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const COLUMNS = `site, name, url, path, referrer, toString(event_id) AS event_id, toString(pageview_id) AS pageview_id,
  duration_ms, screen_width, props`;

export async function startBackend(): Promise<Backend> {
  // The collector reads dist/ once at start-up.
  await ensureBuilt();
  const stack = await startStack();
  return {
    collectorUrl: stack.collectorUrl,
    async rows(site) {
      const rows = await stack.query<StoredRow>(`SELECT ${COLUMNS} FROM {db}.events WHERE site = {site:String} ORDER BY timestamp`, {
        site,
      });
      return rows.map((row) => ({ ...row, duration_ms: Number(row.duration_ms), screen_width: Number(row.screen_width) }));
    },
    stop: () => stack.stop(),
  };
}
