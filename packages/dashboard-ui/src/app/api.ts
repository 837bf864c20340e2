/**
 * The page's calls to the dashboard-api: the Query API (JSON and CSV), freshness, sites, property
 * keys, and SPEC §12's goals, funnels, alert rules and reports.
 */
import { request as call, failure, json } from './auth';

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
  /** Null for every metric: the page asks none (`include.totals: false`). */
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
 * The page shows rows only, never an answer's `totals`: not asked (a panel's query then runs no
 * statement for them, issue 18).
 */
const withImports = (body: QueryBody): string => JSON.stringify({ ...body, include: { imports: true, totals: false } });

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
    const answer = batched(key, controller.signal).finally(() => {
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

interface Asked {
  key: string;
  signal: AbortSignal;
  resolve: (answer: Answer) => void;
  reject: (error: unknown) => void;
}

/** Bodies asked in this task, sent together once it ends (the panels of a view ask theirs in one go). */
let asked: Asked[] = [];
/** What `POST /api/v2/query/batch` takes in one request. */
const MAX_BATCH = 20;

function batched(key: string, signal: AbortSignal): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    if (asked.length === 0) queueMicrotask(flush);
    asked.push({ key, signal, resolve, reject });
  });
}

/**
 * Sends the bodies asked in this task: one alone to `POST /api/v2/query`; several as batches to
 * `POST /api/v2/query/batch`, whose NDJSON lines answer each as it finishes — one request, so
 * none waits for one of the browser's six connections to the host (the live stream holds one).
 */
function flush(): void {
  const items = asked.filter((a) => !a.signal.aborted);
  for (const a of asked) if (a.signal.aborted) a.reject(a.signal.reason);
  asked = [];
  if (items.length === 1) {
    const [one] = items as [Asked];
    call('/api/v2/query', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: one.key, signal: one.signal })
      .then((res) => res.json() as Promise<Answer>)
      .then(one.resolve, one.reject);
    return;
  }
  for (let i = 0; i < items.length; i += MAX_BATCH) void sendBatch(items.slice(i, i + MAX_BATCH));
}

async function sendBatch(items: Asked[]): Promise<void> {
  // The request is aborted once every body in it is; a body aborted alone is rejected at once.
  const controller = new AbortController();
  let open = items.length;
  for (const item of items)
    item.signal.addEventListener(
      'abort',
      () => {
        item.reject(item.signal.reason);
        if (--open === 0) controller.abort();
      },
      { once: true },
    );
  const answered = new Set<number>();
  try {
    const res = await call('/api/v2/query/batch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"queries":[${items.map((i) => i.key).join(',')}]}`,
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<BufferSource>).pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, nl)) as { index: number; status: number; body: Answer & { error?: string } };
        buffered = buffered.slice(nl + 1);
        const item = items[line.index];
        if (!item) continue;
        answered.add(line.index);
        if (line.status === 200) item.resolve(line.body);
        else item.reject(failure(line.status, line.body.error ?? String(line.status)));
      }
    }
    if (answered.size < items.length) throw new Error('the batch ended before every query was answered');
  } catch (error) {
    for (const [index, item] of items.entries()) if (!answered.has(index)) item.reject(error);
  }
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
 * The custom property keys of the site's custom events (of one event name, or all), most used
 * first (`GET /api/v2/properties`, over the last `days` days up to now: the period shown).
 */
export async function propertyKeys(site: string, from: string, event?: string): Promise<string[]> {
  const days = Math.min(366, Math.max(1, Math.ceil((Date.now() - Date.parse(from)) / 86_400_000)));
  const q = new URLSearchParams({ site, days: String(days), ...(event ? { event } : {}) });
  const body = (await (await call(`/api/v2/properties?${q}`, {})).json()) as { keys: { key: string }[] };
  return body.keys.map((k) => k.key);
}

/** A site's goal (SPEC §12): a pageview goal (`path`, a glob) or an event goal (`event`, optional `props`). */
export interface Goal {
  name: string;
  path?: string;
  event?: string;
  props?: Record<string, string | string[]>;
}

/** The site's configured goals (`GET /api/v2/goals`); none configured: every custom event is a goal. */
export function goals(site: string): Promise<{ configured: boolean; goals: Goal[] }> {
  return json('GET', `/api/v2/goals?site=${encodeURIComponent(site)}`);
}

export interface FunnelBody {
  site: string;
  dateRange: string | [string, string];
  timezone?: string;
  /** Goal names, 2 to 8, in order. */
  steps: string[];
  within: string;
}

export interface FunnelStep {
  step: number;
  label: string;
  visitors: number;
  dropOff: number;
  dropOffRate: number;
  conversionRate: number;
}

export function funnel(body: FunnelBody): Promise<{ steps: FunnelStep[]; meta: { from: string; to: string; timezone: string } }> {
  return json('POST', '/api/v2/funnel', body);
}

export type RuleKind = 'alert' | 'report';

/** An alert rule or a report as `GET /api/v2/alerts|reports` answers it (secrets never included). */
export interface Rule {
  id: string;
  site: string;
  name: string;
  every?: string;
  condition?: { op?: '>' | '<'; value?: number; changePct?: number; minVolume?: number };
  query?: { metrics: string[]; dateRange?: string };
  period?: 'weekly' | 'monthly';
  at?: string;
  timezone?: string;
  channels: { type: string; target?: string; to?: string[] }[];
  state: { state: string; since: string | null; value: number | null };
}

/** One attempt to deliver a notice to one channel (`at` in UTC, `YYYY-MM-DD hh:mm:ss.sss`). */
export interface Delivery {
  seq: number;
  state: string;
  channel: number;
  type: string;
  target: string;
  attempt: number;
  ok: number;
  final: number;
  status: number;
  error: string;
  at: string;
}

export async function rules(kind: RuleKind, site: string): Promise<Rule[]> {
  const body = await json<Record<string, Rule[]>>('GET', `/api/v2/${kind}s?site=${encodeURIComponent(site)}`);
  return body[`${kind}s`] ?? [];
}

export async function deliveries(kind: RuleKind, id: string): Promise<Delivery[]> {
  return (await json<{ deliveries: Delivery[] }>('GET', `/api/v2/${kind}s/${id}/deliveries`)).deliveries;
}

/** Sends a notice with state `test` to every channel of the rule now (`sites:admin`). */
export function testNotice(kind: RuleKind, id: string): Promise<{ sent: boolean }> {
  return json('POST', `/api/v2/${kind}s/${id}/test`, {});
}
