/**
 * Test helpers: an embedded Tidemark stack on free ports with its own database, and small
 * polling utilities. The embedded engine keeps one data directory per process, so every
 * stack of a test process shares `.tmp/chdb-<pid>` and is isolated by database name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig, plainLogger } from '@tidemark/shared';
import { type EmbeddedOptions, type EmbeddedStack, startEmbedded } from '../src/embedded.ts';

export const ROOT = new URL('..', import.meta.url).pathname;

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export function processDataDir(): string {
  const dir = join(ROOT, '.tmp', `chdb-${process.pid}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // test data lives as long as its process
  }
  return dir;
}

export interface Stack extends EmbeddedStack {
  database: string;
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
}

/** An embedded stack; `env` adds or overrides SPEC §7 variables. */
export async function startStack(env: Record<string, string> = {}, options: EmbeddedOptions = {}): Promise<Stack> {
  const database = uniqueName('test');
  const config: Config = loadConfig({
    HOST: '127.0.0.1',
    COLLECTOR_PORT: '0',
    COLLECTOR_METRICS_PORT: '0',
    API_PORT: '0',
    DATA_DIR: processDataDir(),
    CLICKHOUSE_DATABASE: database,
    FLUSH_INTERVAL_MS: '100',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const stack = await startEmbedded(config, plainLogger(config.logLevel), options);
  return {
    ...stack,
    database: config.clickhouse.database,
    async query<T>(sql: string, params: Record<string, unknown> = {}) {
      const result = await stack.client.query({
        query: sql.replaceAll('{db}', config.clickhouse.database),
        query_params: params,
        format: 'JSONEachRow',
      });
      return result.json<T>();
    },
  };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await read();
  }
  return value;
}

/**
 * `waitFor` that fails instead of returning a value that is not done: the error names what was
 * awaited, the deadline, and what was last seen (`show`), so a slow machine's failure says why.
 */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  {
    timeoutMs,
    everyMs = 200,
    show = (value: T) => JSON.stringify(value),
  }: { timeoutMs: number; everyMs?: number; show?: (value: T) => string },
): Promise<T> {
  const value = await waitFor(read, done, timeoutMs, everyMs);
  if (!done(value)) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last seen: ${show(value)}`);
  return value;
}

/** The answer of /api/v1/live (SPEC §6). */
export interface LiveAnswer {
  site: string;
  window: string | null;
  from: string;
  to: string;
  views: number;
  visitors: number;
  avgDurationMs: number;
}

export const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

export function postEvents(collectorUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${collectorUrl}/api/event`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
