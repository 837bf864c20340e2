/**
 * A dashboard API over the real ClickHouse server (its own database, migrated), with its
 * access registry started, for the tests of sites, keys, sharing and sign-in (SPEC §11).
 */
import { Writable } from 'node:stream';
import { createDashboardApp, type DashboardApp } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import {
  type AccessRegistry,
  type ClickHouseClient,
  type Config,
  createAccessRegistry,
  createClickHouse,
  loadConfig,
  plainLogger,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { uniqueName } from './harness.ts';

export const TOKEN = 'root-token-for-tests-0123456789';

export interface AccessApp {
  app: DashboardApp;
  access: AccessRegistry;
  client: ClickHouseClient;
  database: string;
  /** Every log line written so far (JSON). */
  logs: () => string;
  /** A request as `who`: a bearer key, a proxy user (with the proxy's address), a share header, or nobody. */
  request(path: string, init?: RequestInit & { as?: Who }): Promise<Response>;
  /** A JSON request with `API_TOKEN` that must succeed. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export type Who =
  | { bearer: string }
  | { user: string; csrf?: string }
  | { share: string }
  | { cookie: string; csrf?: string }
  | { remote: string }
  | null;

export const PROXY_ADDRESS = '10.9.8.7';

export async function startAccessApp(
  clickhouseUrl: string,
  env: Record<string, string> = {},
  options: { refreshMs?: number; usesFlushMs?: number } = {},
): Promise<AccessApp> {
  const database = uniqueName('access');
  const config: Config = loadConfig({ CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: database, API_TOKEN: TOKEN, ...env });
  const client = createClickHouse(config.clickhouse);
  await migrate(client, config.clickhouse);
  let lines = '';
  const sink = new Writable({
    write(chunk, _, done) {
      lines += chunk.toString();
      done();
    },
  });
  const log = plainLogger('info', sink);
  const access = createAccessRegistry({ client, database, log, ...options });
  await access.start();
  const app = createDashboardApp({
    client,
    database,
    access,
    log,
    registry: new Registry(),
    token: config.api.token,
    authProxy: config.api.authProxy,
  });

  async function request(path: string, { as = null, ...init }: RequestInit & { as?: Who } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    let remote = '127.0.0.1';
    if (as && 'bearer' in as) headers.set('Authorization', `Bearer ${as.bearer}`);
    if (as && 'user' in as) {
      remote = PROXY_ADDRESS;
      headers.set('X-Forwarded-User', as.user);
      if (as.csrf) {
        headers.set('X-CSRF-Token', as.csrf);
        headers.set('Cookie', `tidemark_csrf=${as.csrf}`);
      }
    }
    if (as && 'share' in as) headers.set('X-Tidemark-Share', as.share);
    if (as && 'cookie' in as) {
      headers.set('Cookie', as.cookie);
      if (as.csrf) headers.set('X-CSRF-Token', as.csrf);
    }
    if (as && 'remote' in as) remote = as.remote;
    return app.request(path, { ...init, headers }, { incoming: { socket: { remoteAddress: remote } } });
  }

  return {
    app,
    access,
    client,
    database,
    logs: () => lines,
    request,
    async admin(method, path, body) {
      const res = await request(path, {
        method,
        as: { bearer: TOKEN },
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as never;
    },
    async close() {
      app.close();
      await access.close();
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await client.close();
    },
  };
}

/** A JSON request body. */
export function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
}
