/**
 * How every command reaches Tidemark: its dashboard API at `TIDEMARK_URL` (default the local
 * one, `http://127.0.0.1:$API_PORT`), with `TIDEMARK_KEY` or else `API_TOKEN` as the Bearer key
 * (`api.ts` calls the admin API with these; the switching commands stream with them).
 */
export interface ApiTarget {
  url: string;
  headers: Record<string, string>;
}

export function apiTarget(env: Record<string, string | undefined>, url?: string): ApiTarget {
  const base = (url ?? env.TIDEMARK_URL ?? `http://127.0.0.1:${env.API_PORT ?? '8081'}`).replace(/\/+$/, '');
  const key = env.TIDEMARK_KEY ?? env.API_TOKEN;
  return { url: base, headers: key ? { Authorization: `Bearer ${key}` } : {} };
}

/** The error of a refused request, as one line. */
export async function refusal(res: Response): Promise<string> {
  return refusalOf(res.status, await res.text());
}

/** A refusal's status and body as one line: the JSON `error`, else the text. */
export function refusalOf(status: number, text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // not JSON: the text as it is
  }
  return `${status}: ${message}${status === 401 ? ' (set TIDEMARK_KEY or API_TOKEN)' : ''}`;
}

/** `12.3 MB` */
export function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
