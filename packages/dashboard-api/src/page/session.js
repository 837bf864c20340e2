// Who the page acts as (SPEC §11): a session cookie (sign in with a key), the reverse proxy's
// sign-in, the open loopback mode, or — at /share/<slug> — a shared link: its API calls go to
// /share/<slug>/api/…, with the proof of its password (if it has one) in X-Tidemark-Share.
// Keys never go in a URL. Changes carry the session's CSRF token in X-CSRF-Token.

const shareMatch = /^\/share\/([A-Za-z0-9_-]{10,64})\/?$/.exec(location.pathname);
export const shareSlug = shareMatch ? shareMatch[1] : null;
const PROOF_KEY = `tidemark_share_${shareSlug}`;

/** The tab's storage, when the browser lets this page have it (not in some third-party frames). */
function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

let csrf = '';
let proof = shareSlug ? storage()?.getItem(PROOF_KEY) || shareSlug : null;

export class Unauthorized extends Error {
  constructor(body) {
    super(body?.error || 'sign in');
    this.body = body;
  }
}

export class Forbidden extends Error {}

function headers(extra = {}) {
  const h = { ...extra };
  if (proof) h['X-Tidemark-Share'] = proof;
  if (csrf) h['X-CSRF-Token'] = csrf;
  return h;
}

/** A shared link's page reads the API under its own path. */
const through = (path) => (shareSlug && path.startsWith('/api/') ? `/share/${shareSlug}${path}` : path);

/** A JSON call to the API; 401 → Unauthorized, 403 → Forbidden, other failures → Error with the server's message. */
export async function call(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }), credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(through(path), init);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401) throw new Unauthorized(data);
  if (res.status === 403) throw new Forbidden(data?.error || 'not allowed');
  if (!res.ok) throw new Error(data?.error || `${path}: ${res.status}`);
  return data;
}

/** Who is signed in (GET /api/session), remembering the CSRF token; `{ kind: null, error }` when nobody. */
export async function whoAmI() {
  try {
    const me = await call('GET', '/api/session');
    csrf = me.csrf || '';
    return me;
  } catch (err) {
    if (err instanceof Unauthorized) return { kind: null, error: err.body?.error || '' };
    throw err;
  }
}

export async function signIn(key) {
  const me = await call('POST', '/api/session', { key });
  csrf = me.csrf || '';
  return me;
}

export async function signOut() {
  await call('DELETE', '/api/session');
  csrf = '';
}

/** Opens a password-protected shared link; the proof lives in this tab only. */
export async function unlock(password) {
  const res = await fetch(`/share/${shareSlug}/unlock`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `unlock: ${res.status}`);
  proof = data.proof;
  storage()?.setItem(PROOF_KEY, proof);
}

/**
 * Server-sent events. With cookies (or the proxy) EventSource does it; a shared link's header
 * cannot ride on EventSource, so there the stream is read with fetch.
 */
export function openStream(path, onEvent, onError) {
  if (!proof) {
    const source = new EventSource(path);
    source.addEventListener('live', (e) => onEvent(JSON.parse(e.data)));
    source.addEventListener('error', onError);
    return () => source.close();
  }
  const controller = new AbortController();
  (async () => {
    const res = await fetch(through(path), { headers: headers(), signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`stream: ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = message.split('\n');
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
        const data = lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (event === 'live' && data) onEvent(JSON.parse(data));
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch((err) => {
    if (!controller.signal.aborted) onError(err);
  });
  return () => controller.abort();
}
