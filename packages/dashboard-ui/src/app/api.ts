/** The page's calls to the dashboard-api: the Query API (JSON and CSV), freshness, sites, property keys. */
import { askForToken, authHeaders } from './auth';

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

export class ApiError extends Error {}

async function call(path: string, init: RequestInit, retried = false): Promise<Response> {
  const res = await fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...authHeaders() } });
  if (res.status === 401 && !retried && (await askForToken())) return call(path, init, true);
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(body.error ?? `${res.status} ${res.statusText}`);
  }
  return res;
}

export async function query(body: QueryBody, signal?: AbortSignal): Promise<Answer> {
  const res = await call('/api/v2/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return (await res.json()) as Answer;
}

export async function queryCsv(body: QueryBody): Promise<Blob> {
  const res = await call('/api/v2/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/csv' },
    body: JSON.stringify(body),
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

/** The custom property keys sent in a range, most used first (`GET /api/v1/properties`). */
export async function propertyKeys(site: string, from: string, to: string): Promise<string[]> {
  const q = new URLSearchParams({ site, from, to });
  const body = (await (await call(`/api/v1/properties?${q}`, {})).json()) as { keys: { key: string }[] };
  return body.keys.map((k) => k.key);
}
