/**
 * How the page signs its API requests: today the `API_TOKEN` as a Bearer token, taken from
 * `?token=` once (then kept in sessionStorage and removed from the URL) or asked for when the
 * API answers 401. The one place to change when cookie sessions (SPEC §11) replace it.
 */
const KEY = 'tidemark_token';

export function takeTokenFromUrl(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  sessionStorage.setItem(KEY, token);
  url.searchParams.delete('token');
  history.replaceState(null, '', url);
}

export function token(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

let asking: Promise<boolean> | null = null;

/** Asks once for a token after a 401 (concurrent 401s share the one prompt); true when one was given. */
export function askForToken(): Promise<boolean> {
  asking ??= Promise.resolve().then(() => {
    const given = prompt('API token (API_TOKEN)');
    if (given) sessionStorage.setItem(KEY, given);
    asking = null;
    return Boolean(given);
  });
  return asking;
}
