/**
 * A private ClickHouse server for one test file: the real engine (clickhouse-local from
 * libchdb, through services/clickhouse-launcher.py) on free ports, with its own data directory
 * and its own configuration files, so a test can load production config (users.d, config.d,
 * a cluster definition) without touching the shared server on :8123.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findLibchdb } from '../services/clickhouse.ts';
import { ROOT, waitFor } from './harness.ts';
import { freePort } from './processes.ts';

const LAUNCHER = join(ROOT, 'services', 'clickhouse-launcher.py');
const HOLDER = 'private-clickhouse-holder';
const HOLDER_QUERY = 'SELECT sleepEachRow(0.1) FROM system.numbers SETTINGS max_execution_time = 0, max_block_size = 1 FORMAT Null';

export interface PrivateClickHouse {
  url: string;
  /** The server's process (the launcher runs the engine in-process): its CPU time is the server's. */
  pid: number;
  tcpPort: number;
  dir: string;
  /** A query over HTTP as `user` (`default` when omitted); rejects with the server's message. */
  query(sql: string, user?: { name: string; password: string }): Promise<string>;
  stop(): Promise<void>;
}

export interface PrivateClickHouseOptions {
  /** Files under the config directory, e.g. `{ 'config.d/x.xml': '<clickhouse>…' }`; `{{tcp_port}}` and `{{dir}}` are filled. */
  files?: Record<string, string>;
  /** The main config (`config.xml`); by default one that loads `users.xml`. */
  config?: string;
  env?: Record<string, string>;
  /** The server's data directory (`--path`), kept by `stop()`; by default one inside its own directory, removed with it. */
  dataPath?: string;
}

const USERS = `<clickhouse>
  <profiles><default/></profiles>
  <users><default><password/><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default/></quotas>
</clickhouse>`;

export async function startPrivateClickHouse(opts: PrivateClickHouseOptions = {}): Promise<PrivateClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-clickhouse-'));
  const [http, tcp] = [await freePort(), await freePort()];
  const files: Record<string, string> = {
    'config.xml': opts.config ?? '<clickhouse><users_config>users.xml</users_config></clickhouse>',
    'users.xml': USERS,
    ...opts.files,
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text.replaceAll('{{tcp_port}}', String(tcp)).replaceAll('{{dir}}', dir));
  }
  const server: ChildProcess = spawn(
    'python3',
    [
      LAUNCHER,
      findLibchdb(),
      `--config-file=${join(dir, 'config.xml')}`,
      `--path=${opts.dataPath ?? join(dir, 'data')}/`,
      '--listen_host=127.0.0.1',
      `--http_port=${http}`,
      `--tcp_port=${tcp}`,
      `--query_id=${HOLDER}`,
      `--query=SYSTEM START LISTEN QUERIES ALL; ${HOLDER_QUERY}`,
    ],
    { cwd: dir, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${http}`;

  async function query(sql: string, user?: { name: string; password: string }): Promise<string> {
    const headers: Record<string, string> = user ? { 'X-ClickHouse-User': user.name, 'X-ClickHouse-Key': user.password } : {};
    const response = await fetch(url, { method: 'POST', body: sql, headers });
    const text = await response.text();
    if (!response.ok) throw new Error(text.trim());
    return text;
  }

  const ping = () =>
    fetch(`${url}/ping`).then(
      (r) => r.ok,
      () => false,
    );
  await waitFor(ping, (ok) => ok || server.exitCode !== null, 30_000);
  if (server.exitCode !== null) throw new Error(`the private ClickHouse did not start:\n${output}`);

  return {
    url,
    pid: server.pid as number,
    tcpPort: tcp,
    dir,
    query,
    async stop() {
      if (server.exitCode === null) {
        // A clean stop: ending the holder query returns clickhouse-local's main.
        await query(`KILL QUERY WHERE query_id = '${HOLDER}' SYNC`).catch(() => '');
        const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
