// A real ClickHouse HTTP server for development and tests: clickhouse-local from chdb's
// libchdb.so, kept serving by clickhouse-launcher.py as a detached process.

import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Log, logger, type ServiceOptions, serviceDir } from './options.ts';
import { livePid, rotateLog, since, spawnDetached, terminate, waitForExit, waitUntilReady, withLock } from './process.ts';

export const CLICKHOUSE_HTTP_PORT = 8123;
/** Native protocol (clickhouse-client --port 9001); set explicitly, clickhouse-local would take 9000. */
export const CLICKHOUSE_TCP_PORT = 9001;
export const clickhouseUrl = `http://127.0.0.1:${CLICKHOUSE_HTTP_PORT}`;

const HOLDER_ID = 'tidemark-services-holder';
// Keeps clickhouse-local inside its main, and so listening, until KILL QUERY ends it.
const HOLDER_QUERY = 'SELECT sleepEachRow(0.1) FROM system.numbers SETTINGS max_execution_time = 0, max_block_size = 1 FORMAT Null';
const launcher = fileURLToPath(new URL('./clickhouse-launcher.py', import.meta.url));
const LOCK_WAIT_MS = 60_000;

type Files = ReturnType<typeof files>;

function files(opts: ServiceOptions) {
  const dir = serviceDir(opts, 'clickhouse');
  const data = join(dir, 'data');
  // The --path argument also tells our launcher apart from any other process.
  return {
    dir,
    data,
    marker: `--path=${data}/`,
    log: join(dir, 'clickhouse.log'),
    pid: join(dir, 'clickhouse.pid'),
    lock: join(dir, 'clickhouse.lock'),
  };
}

/** libchdb.so of the chdb package that @tidemark/shared depends on (TIDEMARK_LIBCHDB overrides). */
export function findLibchdb(): string {
  if (process.env.TIDEMARK_LIBCHDB) return process.env.TIDEMARK_LIBCHDB;
  const fromShared = createRequire(new URL('../packages/shared/package.json', import.meta.url));
  const fromChdb = createRequire(fromShared.resolve('chdb/package.json'));
  const libc = process.platform === 'linux' ? '-gnu' : '';
  const pkg = `@chdb/lib-${process.platform}-${process.arch}${libc}`;
  return join(dirname(fromChdb.resolve(`${pkg}/package.json`)), 'libchdb.so');
}

export async function startClickHouse(opts: ServiceOptions = {}): Promise<{ url: string; startedByUs: boolean }> {
  const f = files(opts);
  await mkdir(f.data, { recursive: true });
  const startedByUs = await withLock(f.lock, LOCK_WAIT_MS, () => start(f, logger(opts)));
  return { url: clickhouseUrl, startedByUs };
}

/** Stops the server started from this root; resolves to whether one was running. */
export async function stopClickHouse(opts: ServiceOptions = {}): Promise<boolean> {
  const f = files(opts);
  await mkdir(f.dir, { recursive: true });
  return withLock(f.lock, LOCK_WAIT_MS, () => stop(f, logger(opts)));
}

/**
 * The interpreter python3 resolves to. Spawning it directly skips shims (pyenv's runs two bash
 * scripts before Python), so the pid we watch is Python's own from the first moment.
 */
function python(): string {
  try {
    const exe = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    return exe === '' ? 'python3' : exe;
  } catch {
    return 'python3'; // spawning it reports the error
  }
}

/** Resolves to true if it started the server, false if one was already running. */
async function start(f: Files, log: Log): Promise<boolean> {
  try {
    return await startOnce(f, log);
  } catch (err) {
    // One more try: a first start on a fresh machine has been seen to die without a word. (A
    // server with many tables takes a while to load them: the wait is long, and ends early only
    // if the process dies.)
    log(`clickhouse: ${(err as Error).message}; trying once more`);
    return await startOnce(f, log);
  }
}

async function startOnce(f: Files, log: Log): Promise<boolean> {
  const running = await livePid(f.pid, f.marker);
  if (await ping()) {
    log(running ? `clickhouse: already running (pid ${running})` : `clickhouse: already answering on ${clickhouseUrl}`);
    return false;
  }
  if (running !== undefined) {
    log(`clickhouse: pid ${running} not answering yet, waiting`);
    await waitUntilReady({ name: 'clickhouse', pid: running, marker: f.marker, ready: ping, timeoutMs: 180_000, logFile: f.log });
    return false;
  }

  const started = performance.now();
  await rotateLog(f.log);
  const args = [
    launcher,
    findLibchdb(),
    f.marker,
    '--listen_host=127.0.0.1',
    `--http_port=${CLICKHOUSE_HTTP_PORT}`,
    `--tcp_port=${CLICKHOUSE_TCP_PORT}`,
    '--logger.console=1',
    '--log-level=information',
    `--query_id=${HOLDER_ID}`,
    `--query=SYSTEM START LISTEN QUERIES ALL; ${HOLDER_QUERY}`,
  ];
  const pid = await spawnDetached({ command: python(), args, cwd: f.dir, logFile: f.log, pidFile: f.pid });
  try {
    await waitUntilReady({ name: 'clickhouse', pid, marker: f.marker, ready: ping, timeoutMs: 180_000, logFile: f.log, intervalMs: 100 });
  } catch (err) {
    await terminate(pid, f.marker, 2_000);
    await rm(f.pid, { force: true });
    throw err;
  }
  log(`clickhouse: ready on ${clickhouseUrl} (${since(started)})`);
  return true;
}

async function stop(f: Files, log: Log): Promise<boolean> {
  const pid = await livePid(f.pid, f.marker);
  if (pid === undefined) {
    log((await ping()) ? 'clickhouse: not started here, leaving it running' : 'clickhouse: not running');
    return false;
  }
  const started = performance.now();
  // A clean stop: ending the holder query returns clickhouse-local's main, which shuts down.
  await httpText('POST', '/', `KILL QUERY WHERE query_id = '${HOLDER_ID}' SYNC`, 10_000).catch(() => '');
  if (!(await waitForExit(pid, f.marker, 10_000))) {
    log('clickhouse: no clean exit, terminating');
    await terminate(pid, f.marker, 5_000);
  }
  await rm(f.pid, { force: true });
  log(`clickhouse: stopped (${since(started)})`);
  return true;
}

async function ping(): Promise<boolean> {
  try {
    return (await httpText('GET', '/ping', undefined, 1_000)) === 'Ok.\n';
  } catch {
    return false;
  }
}

/** One HTTP request without keep-alive, so no idle connection outlives us or delays shutdown. */
function httpText(method: string, path: string, body: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${clickhouseUrl}${path}`, { method, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(text.trim()))));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
