// The settings page's calls to the API (SPEC §11): with the session cookie (or the proxy's
// sign-in), and the session's CSRF token in X-CSRF-Token on every change. Keys never go in a
// URL. (The dashboard's own sign-in, shared links and stream are in packages/dashboard-ui's auth.ts.)

let csrf = '';

export class Unauthorized extends Error {
  constructor(body) {
    super(body?.error || 'sign in');
    this.body = body;
  }
}

export class Forbidden extends Error {}

/** A JSON call to the API; 401 → Unauthorized, 403 → Forbidden, other failures → Error with the server's message. */
export async function call(method, path, body) {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
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
