/** The page's calls to the dashboard-api: the Query API (JSON and CSV), freshness, sites, property keys. */
import { request as call } from './auth';

export interface QueryBody {
  site: string;
  metrics: string[];
  dateRange: string | [string, string];
  timezone?: string;
  dimensions?: string[];
  filters?: unknown[];
  compare?: string;
  orderBy?: [string, 'asc' | 'desc'][];
  limit?: number;
  offset?: number;
}

export interface Row {
  dimensions: string[];
  metrics: (number | null)[];
  comparison?: { metrics: (number | null)[]; change: (number | null)[] };
}

export interface Answer {
  results: Row[];
  query?: { metrics?: string[] };
  totals: (number | null)[];
  meta: {
    from: string;
    to: string;
    timezone: string;
    interval?: string;
    comparison?: { from: string; to: string };
    cut?: { from: string };
  };
}

export { ApiError } from './auth';

/**
 * A body as sent: imported history (Plausible's and Umami's exports) counts in the whole days
 * of every view, as it does in the /api/v1 routes (the engine says in `meta.imports` when it cannot).
 */
const withImports = (body: QueryBody): string => JSON.stringify({ ...body, include: { imports: true } });

interface InFlight {
  answer: Promise<Answer>;
  controller: AbortController;
  waiting: number;
}

/** Queries on their way, by body: the same body asked twice at once (two panels, a panel and its details) is sent once. */
const inFlight = new Map<string, InFlight>();

/**
 * A Query API answer. Identical bodies in flight share one request; it is aborted only when
 * every caller that asked for it has aborted.
 */
export function query(body: QueryBody, signal?: AbortSignal): Promise<Answer> {
  const key = withImports(body);
  let shared = inFlight.get(key);
  if (!shared) {
    const controller = new AbortController();
    const answer = call('/api/v2/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: key,
      signal: controller.signal,
    })
      .then((res) => res.json() as Promise<Answer>)
      .finally(() => {
        if (inFlight.get(key)?.controller === controller) inFlight.delete(key);
      });
    shared = { answer, controller, waiting: 0 };
    inFlight.set(key, shared);
  }
  const entry = shared;
  entry.waiting++;
  if (!signal) return entry.answer;
  return new Promise<Answer>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      if (--entry.waiting === 0) {
        inFlight.delete(key);
        entry.controller.abort();
      }
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    entry.answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export async function queryCsv(body: QueryBody): Promise<Blob> {
  const res = await call('/api/v2/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/csv' },
    body: withImports(body),
  });
  return res.blob();
}

export interface Freshness {
  lagMs: number | null;
  lastEventAt: string | null;
  queueBacklog: number | null;
}

export async function freshness(site: string): Promise<Freshness> {
  return (await call(`/api/v1/freshness?site=${encodeURIComponent(site)}`, {})).json() as Promise<Freshness>;
}

export async function sites(): Promise<string[]> {
  const body = (await (await call('/api/v1/sites', {})).json()) as { sites: (string | { site: string })[] };
  return body.sites.map((s) => (typeof s === 'string' ? s : s.site));
}

/**
 * The custom property keys of the site's custom events, most used first (`GET /api/v2/properties`,
 * over the last `days` days up to now: the picker's list for the period shown).
 */
export async function propertyKeys(site: string, from: string): Promise<string[]> {
  const days = Math.min(366, Math.max(1, Math.ceil((Date.now() - Date.parse(from)) / 86_400_000)));
  const q = new URLSearchParams({ site, days: String(days) });
  const body = (await (await call(`/api/v2/properties?${q}`, {})).json()) as { keys: { key: string }[] };
  return body.keys.map((k) => k.key);
}
