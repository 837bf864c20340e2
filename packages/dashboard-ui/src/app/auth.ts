/**
 * Who the page acts as (SPEC §11): a session cookie (sign in with a key: `POST /api/session`),
 * the reverse proxy's sign-in, the open loopback mode, or — at `/share/<slug>` — a shared link,
 * whose API calls go to `/share/<slug>/api/…` with the proof of its password (if it has one) in
 * `X-Tidemark-Share`. Keys never go in a URL (an old `?token=` link drops the key unused).
 * Changes carry the session's CSRF token in `X-CSRF-Token`.
 */

const shareMatch = /^\/share\/([A-Za-z0-9_-]{10,64})\/?$/.exec(location.pathname);
/** The shared link this page shows, or null on the signed-in dashboard. */
export const shareSlug: string | null = shareMatch ? (shareMatch[1] ?? null) : null;
const PROOF_KEY = `tidemark_share_${shareSlug}`;

/** What `GET /api/session` says of the caller. */
export interface Me {
  kind: 'token' | 'key' | 'user' | 'share' | 'anonymous' | 'open' | null;
  via?: string;
  name?: string;
  scopes?: string[];
  sites?: Record<string, 'all' | string[]>;
  /** A shared link's one site. */
  site?: string;
  csrf?: string;
  error?: string;
}

/** The tab's storage, when the browser lets this page have it (not in some third-party frames). */
function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

let csrf = '';
let proof: string | null = shareSlug ? storage()?.getItem(PROOF_KEY) || shareSlug : null;

export class Unauthorized extends Error {}
export class Forbidden extends Error {}
export class ApiError extends Error {}

/** Drops a key given in the URL without using it; true when there was one. */
export function dropKeyFromUrl(): boolean {
  const url = new URL(location.href);
  if (!url.searchParams.has('token')) return false;
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  return true;
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const h = { ...extra };
  if (proof) h['X-Tidemark-Share'] = proof;
  if (csrf) h['X-CSRF-Token'] = csrf;
  return h;
}

/** A shared link's page reads the API under its own path. */
export const through = (path: string): string => (shareSlug && path.startsWith('/api/') ? `/share/${shareSlug}${path}` : path);

/** Listeners told when the API says the caller is no longer signed in (a revoked session, an expired proof). */
const signedOut = new Set<(message: string) => void>();
export function onSignedOut(listener: (message: string) => void): () => void {
  signedOut.add(listener);
  return () => signedOut.delete(listener);
}

/** A call to the API: 401 → Unauthorized (and the page asks to sign in), 403 → Forbidden, else ApiError with the server's message. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(through(path), {
    ...init,
    credentials: 'same-origin',
    headers: authHeaders(init.headers as Record<string, string> | undefined),
  });
  if (res.ok) return res;
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  throw failure(res.status, body.error ?? `${res.status} ${res.statusText}`);
}

/** The error of an answer that is not OK (a 401 also tells the listeners the caller is signed out). */
export function failure(status: number, message: string): Error {
  if (status === 401) {
    for (const listener of signedOut) listener(message);
    return new Unauthorized(message);
  }
  if (status === 403) return new Forbidden(message);
  return new ApiError(message);
}

/** A JSON call: the body (if any) as JSON, the answer parsed (null when empty). */
export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await request(path, init);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Who is signed in, remembering the CSRF token; `{ kind: null, error }` when nobody. */
export async function whoAmI(): Promise<Me> {
  try {
    const me = await json<Me>('GET', '/api/session');
    csrf = me.csrf ?? '';
    return me;
  } catch (err) {
    if (err instanceof Unauthorized) return { kind: null, error: err.message };
    throw err;
  }
}

export async function signIn(key: string): Promise<Me> {
  const me = await json<Me>('POST', '/api/session', { key });
  csrf = me.csrf ?? '';
  return me;
}

export async function signOut(): Promise<void> {
  await json('DELETE', '/api/session');
  csrf = '';
}

/** Opens a password-protected shared link; the proof lives in this tab only. */
export async function unlock(password: string): Promise<void> {
  const res = await fetch(`/share/${shareSlug}/unlock`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  const data = (await res.json().catch(() => ({}))) as { error?: string; proof?: string };
  if (!res.ok || !data.proof) throw new Error(data.error ?? `unlock: ${res.status}`);
  proof = data.proof;
  storage()?.setItem(PROOF_KEY, proof);
}

/** Whether the caller may read any site's stats (an anonymous caller may, for public sites). */
export function canRead(me: Me): boolean {
  if (me.kind === null) return false;
  if (me.kind !== 'anonymous') return true;
  const sites = me.sites?.['stats:read'];
  return sites === 'all' || (Array.isArray(sites) && sites.length > 0);
}

/** Whether the settings page is for this caller (sites:admin, not a shared link). */
export const isAdmin = (me: Me | null): boolean => me !== null && me.kind !== 'share' && (me.scopes ?? []).includes('sites:admin');

/** The header's name for the caller. */
export function whoLabel(me: Me | null): string {
  if (!me) return '';
  if (me.kind === 'share') return `shared: ${me.name || me.site || ''}`;
  return me.name || (me.kind === 'token' ? 'API_TOKEN' : '');
}

/**
 * Server-sent events. With cookies (or the proxy) EventSource does it; a shared link's header
 * cannot ride on EventSource, so there the stream is read with fetch.
 */
export function openStream(path: string, onEvent: (data: unknown) => void, onError: () => void): () => void {
  if (!proof) {
    const source = new EventSource(path);
    source.addEventListener('live', (e) => onEvent(JSON.parse((e as MessageEvent<string>).data)));
    source.addEventListener('error', onError);
    return () => source.close();
  }
  const controller = new AbortController();
  (async () => {
    const res = await fetch(through(path), { headers: authHeaders(), signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`stream: ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
        const data = lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (event === 'live' && data) onEvent(JSON.parse(data));
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => {
    if (!controller.signal.aborted) onError();
  });
  return () => controller.abort();
}
