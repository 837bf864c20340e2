/**
 * How the CLI reaches Tidemark: the admin API over HTTP (so every change is validated and
 * audited exactly as the dashboard's), at `TIDEMARK_URL` (default the local dashboard API),
 * with `TIDEMARK_KEY` or else `API_TOKEN` as the Bearer key. Without either, the API must be in
 * its open loopback mode.
 */
export class CliError extends Error {}

export interface Api {
  url: string;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createApi(env: NodeJS.ProcessEnv, url?: string): Api {
  const base = (url ?? env.TIDEMARK_URL ?? `http://127.0.0.1:${env.API_PORT ?? '8081'}`).replace(/\/+$/, '');
  const key = env.TIDEMARK_KEY ?? env.API_TOKEN;
  return {
    url: base,
    async call(method, path, body) {
      const headers: Record<string, string> = {};
      if (key) headers.Authorization = `Bearer ${key}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      } catch (error) {
        throw new CliError(`cannot reach ${base} (${(error as Error).cause ?? (error as Error).message}); set TIDEMARK_URL`);
      }
      const text = await res.text();
      const data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        const hint = res.status === 401 ? ' (set TIDEMARK_KEY or API_TOKEN)' : '';
        throw new CliError(`${res.status}: ${String(data.error ?? text)}${hint}`);
      }
      return data as never;
    },
  };
}
