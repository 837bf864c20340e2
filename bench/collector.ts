/**
 * Collector benchmark (SPEC §9): requests/s of the collector — validation, enrichment and
 * the queue — divided by those of a bare `node:http` server answering 202, measured in the
 * same run with the same payload by `wrk` (its own process), alternating the two servers.
 * Then p99 latency at half the collector's maximum rate (autocannon, fixed overall rate).
 *
 * Modes: `embedded` (the whole one-process stack: collector → in-process queue → ingester →
 * chdb) and `distributed` (the collector's own main against the Kafka broker, `acks=all`).
 * Runs alone: `npx tsx bench/collector.ts [--quick] [--mode embedded|distributed] [--many-visitors] [--cpu-prof dir]`; `pnpm bench` runs both.
 * Both servers face the same load: wrk, one thread, 256 connections, the same pageview body.
 * Each run also reads the server's main-thread CPU time (/proc), so the figures include the
 * CPU a request costs the thread that serves it — steadier on a shared machine than req/s,
 * and the ratio of the two is what the req/s ratio would be if that thread were the only limit.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropTopics } from './cleanup.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Servers run as `node --import tsx …`, so the spawned process is the server itself (its CPU is read). */
const NODE_TSX = ['--import', 'tsx'];
const AUTOCANNON = join(ROOT, 'node_modules', '.bin', 'autocannon');
const run = promisify(execFile);

export const PAYLOAD = JSON.stringify({
  site: 'example.com',
  name: 'pageview',
  url: 'https://example.com/blog/hello-world?utm_source=newsletter&utm_medium=email',
  referrer: 'https://www.google.com/',
  eventId: '7f0c8a4e-2a59-4a3e-9f3a-0b6f0a1c2d3e',
  screenWidth: 1440,
});
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const CONNECTIONS = 256;
const COLLECTOR_TOPIC = 'tidemark_bench_collector';

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { res.writeHead(202, { 'Access-Control-Allow-Origin': '*' }); res.end(); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
`;

// wrk's Lua: POST the payload, print one JSON line at the end (latencies in µs).
const WRK_SCRIPT = `
wrk.method = "POST"
wrk.body = ${JSON.stringify(PAYLOAD)}
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["User-Agent"] = "${USER_AGENT}"
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/**
 * The same load from many visitors: each request names another client address
 * (`X-Forwarded-For`, the collector trusting its proxy), so its events spread over the
 * topic's partitions as real traffic does; from one address they all share one partition,
 * whose sends follow one another to keep a visitor's events in order.
 */
const WRK_MANY_VISITORS = `
local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = "10." .. (n % 250) .. "." .. (math.floor(n / 250) % 250) .. ".7"
  return wrk.format()
end
`;

/**
 * A rate-driven load (`sustainedRate`): instead of each connection sending its next request as
 * soon as the last is answered (a closed loop: 256 connections make req/s = 256 / latency, so
 * any latency shows as lost throughput), requests leave at a fixed overall rate on whichever
 * connection is free — visitors do not wait for each other. One schedule for the thread: each
 * request takes the next slot (1/rate apart) and waits for it (LuaJIT's FFI reads the monotonic
 * clock; wrk's \`delay\` is in whole ms). The rate holds while connections are free, i.e. while
 * rate × latency < connections; when the server falls behind, the achieved rate drops below the
 * target, which is what \`sustainedRate\` checks.
 */
const wrkPaced = (rate: number) => `
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tidemark_ts; int clock_gettime(int, tidemark_ts *); ]]
local ts = ffi.new("tidemark_ts")
local function now_ms() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6 end
local gap = ${1000 / rate}
local slot = 0
-- Requests actually sent (wrk builds each when it leaves, after its delay).
sent = 0
local inner = request
request = function()
  sent = sent + 1
  if inner then return inner() end
  return wrk.format()
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
delay = function()
  local t = now_ms()
  if slot < t then slot = t end
  local wait = slot - t
  slot = slot + gap
  return math.floor(wait)
end
done = function(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("sent") end
  io.write(string.format('{"requests":%d,"sent":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, n, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
/** Steps of `sustainedRate`'s bisection after the first rate not sustained (1.4× gap → 1.04×). */
const BISECTIONS = 3;
/** Connections of the rate-driven load: at 10 000 req/s they allow a mean latency of 100 ms. */
const PACED_CONNECTIONS = 1024;

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns a server process; it is ready when it prints `{"url": …}` on stdout or, when `url`
 * is given, when `url/healthz` answers.
 */
function startServer(command: string, args: string[], env: Record<string, string>, url?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let ready = false;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const done = (at: string) => {
      if (ready) return;
      ready = true;
      resolve({
        url: at,
        child,
        async stop() {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        },
      });
    };
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) done((JSON.parse(line) as { url: string }).url);
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`${command} ${args.join(' ')} exited (${code}):\n${out}`));
    });
    if (url) {
      const poll = async () => {
        while (!ready && child.exitCode === null) {
          const ok = await fetch(`${url}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
          if (ok) return done(url);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      void poll();
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Load {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  /** CPU time of the server's main thread per request answered, µs. */
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: number;
  /** Rate-driven load only: requests sent per second (answered or not). */
  sentPerSecond?: number;
}

/** User + system CPU time of a process's main thread, in ms (Linux: /proc; NaN elsewhere). */
function mainThreadCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

async function wrk(server: Server, seconds: number, script: string, connections = CONNECTIONS): Promise<Load> {
  const cpuBefore = mainThreadCpuMs(server.child.pid);
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, `${server.url}/api/event`], {
    maxBuffer: 1 << 20,
  });
  const cpuMs = mainThreadCpuMs(server.child.pid) - cpuBefore;
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const r = JSON.parse(line) as {
    requests: number;
    sent?: number;
    durationUs: number;
    non2xx: number;
    socketErrors: number;
    p50: number;
    p99: number;
  };
  return {
    ...(r.sent === undefined ? {} : { sentPerSecond: r.sent / (r.durationUs / 1e6) }),
    rps: r.requests / (r.durationUs / 1e6),
    requests: r.requests,
    cpuUs: (cpuMs * 1000) / r.requests,
    p50Ms: r.p50 / 1000,
    p99Ms: r.p99 / 1000,
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
  };
}

/** p99 at a fixed overall request rate (autocannon's `-R`), in ms. */
async function atRate(url: string, rate: number, seconds: number): Promise<{ p99Ms: number; p50Ms: number; rps: number; non2xx: number }> {
  const args = ['-c', '20', '-d', String(seconds), '-R', String(Math.max(1, Math.round(rate))), '-m', 'POST'];
  args.push('-H', 'Content-Type=text/plain', '-H', `User-Agent=${USER_AGENT}`, '-b', PAYLOAD, '--json', `${url}/api/event`);
  const { stdout } = await run(AUTOCANNON, args, { maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout) as { latency: { p99: number; p50: number }; requests: { average: number }; non2xx: number };
  return { p99Ms: r.latency.p99, p50Ms: r.latency.p50, rps: r.requests.average, non2xx: r.non2xx };
}

/**
 * How the collector's HTTP is served: `fast` (its own server, event POSTs read from the socket:
 * COLLECTOR_FAST_PATH=true), `node` (its own server with the fast path off: every request through
 * Node's parser, the event route without Hono), `hono` (the Hono app alone under
 * `@hono/node-server`, embedded mode only).
 */
export type ServerKind = 'fast' | 'node' | 'hono';

async function startCollector(
  mode: 'embedded' | 'distributed',
  brokers: string,
  kind: ServerKind,
  manyVisitors: boolean,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  const common = {
    HOST: '127.0.0.1',
    TRUST_PROXY: String(manyVisitors),
    COLLECTOR_PORT: '0',
    COLLECTOR_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
    COLLECTOR_FAST_PATH: String(kind === 'fast'),
  };
  if (mode === 'embedded') {
    const dataDir = join(ROOT, '.tmp', `bench-collector-${process.pid}-${kind}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    return startServer(process.execPath, [...NODE_TSX, fileURLToPath(import.meta.url), '--serve-embedded', kind], {
      ...common,
      DATA_DIR: dataDir,
      API_PORT: '0',
    });
  }
  if (kind === 'hono') throw new Error('the hono server is measured in embedded mode only');
  // The collector's own entry; fixed topic names (the events topic is deleted after each run).
  const port = await freePort();
  const env = {
    ...common,
    COLLECTOR_PORT: String(port),
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: COLLECTOR_TOPIC,
    KAFKA_SALTS_TOPIC: 'tidemark_bench_salts',
    ...extraEnv,
  };
  // `--cpu-prof <dir>`: the collector writes a V8 CPU profile there when it stops.
  const profile = arg('--cpu-prof');
  return startServer(
    process.execPath,
    [...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []), ...NODE_TSX, join(ROOT, 'packages', 'collector', 'src', 'main.ts')],
    env,
    `http://127.0.0.1:${port}`,
  );
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? (sorted[n >> 1] ?? 0) : ((sorted[n / 2 - 1] ?? 0) + (sorted[n / 2] ?? 0)) / 2;
}

export async function benchCollector(opts: {
  quick: boolean;
  mode: 'embedded' | 'distributed';
  /** Servers to measure, each against the same bare server in every round; the first is the headline. */
  servers?: ServerKind[];
  rounds?: number;
  seconds?: number;
  /** Distributed mode against these brokers instead of `pnpm services:start`'s one, its figures named by `label`. */
  brokers?: string;
  label?: string;
  /** Each request from another visitor (events over every partition) instead of all from one. */
  manyVisitors?: boolean;
}): Promise<Record<string, number | string>> {
  const seconds = opts.seconds ?? (opts.quick ? 2 : 6);
  const kinds = opts.servers ?? ['fast'];
  // The machines are shared and noisy, and change speed for seconds at a time: many short
  // back-to-back pairs, and the median ratio. (Two runs of one build differed by 0.05 in the
  // mean of five 8-second pairs; ten 6-second pairs pair up the speeds better.)
  const rounds = opts.rounds ?? (opts.quick ? 1 : 10);
  let brokers = '';
  if (opts.mode === 'distributed') {
    const { startServices } = await import('../services/index.ts');
    brokers = opts.brokers ?? (await startServices()).kafkaBrokers;
    await dropTopics(brokers, [COLLECTOR_TOPIC]); // a fresh topic: earlier runs' gigabytes slow the broker
  }
  const script = join(ROOT, '.tmp', `bench-collector-${process.pid}.lua`);
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  writeFileSync(script, opts.manyVisitors ? WRK_SCRIPT + WRK_MANY_VISITORS : WRK_SCRIPT);
  const bare = await startServer(process.execPath, ['-e', BARE_SERVER], {});
  const collectors = new Map<ServerKind, Server>();
  try {
    for (const kind of kinds) collectors.set(kind, await startCollector(opts.mode, brokers, kind, opts.manyVisitors ?? false));
    const warmup = opts.quick ? 1 : 2;
    await wrk(bare, warmup, script); // warm-up: JIT, caches, Kafka metadata
    for (const collector of collectors.values()) await wrk(collector, warmup, script);
    const bareRuns: Load[] = [];
    const runs = new Map<ServerKind, Load[]>(kinds.map((k) => [k, []]));
    for (let i = 0; i < rounds; i++) {
      bareRuns.push(await wrk(bare, seconds, script));
      for (const [kind, collector] of collectors) runs.get(kind)?.push(await wrk(collector, seconds, script));
    }
    const mean = (list: Load[], key: Exclude<keyof Load, 'sentPerSecond' | 'requests'>) =>
      list.reduce((sum, r) => sum + r[key], 0) / list.length;
    const m = opts.label ?? opts.mode;
    const figures: Record<string, number | string> = { [`${m} bare node:http (req/s)`]: Math.round(mean(bareRuns, 'rps')) };
    for (const [kind, collector] of collectors) {
      const list = runs.get(kind) ?? [];
      const ratios = list.map((c, i) => c.rps / (bareRuns[i]?.rps ?? c.rps)).sort((a, b) => a - b);
      const rps = mean(list, 'rps');
      // The headline names keep their old spelling; other servers are labelled.
      const label = kind === kinds[0] ? `${m} collector` : `${m} collector (${kind})`;
      figures[`${label}/bare ratio (median)`] = Number(median(ratios).toFixed(3));
      figures[`${label} ratio range`] = `${(ratios[0] ?? 0).toFixed(2)}–${(ratios[ratios.length - 1] ?? 0).toFixed(2)}`;
      figures[`${label} (req/s)`] = Math.round(rps);
      figures[`${label} main-thread CPU µs/request (bare ${mean(bareRuns, 'cpuUs').toFixed(1)})`] = Number(mean(list, 'cpuUs').toFixed(1));
      figures[`${label} p50/p99 (ms)`] = `${mean(list, 'p50Ms').toFixed(1)} / ${mean(list, 'p99Ms').toFixed(1)}`;
      figures[`${label} non-2xx`] = list.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0);
      if (kind !== kinds[0]) continue;
      const half = await atRate(collector.url, rps / 2, seconds);
      figures[`${m} half rate (req/s)`] = Math.round(half.rps);
      figures[`${m} half-rate p50/p99 (ms)`] = `${half.p50Ms} / ${half.p99Ms}`;
      figures[`${m} half-rate non-2xx`] = half.non2xx;
    }
    figures[`${m} bare p50/p99 (ms)`] = `${mean(bareRuns, 'p50Ms').toFixed(1)} / ${mean(bareRuns, 'p99Ms').toFixed(1)}`;
    return figures;
  } finally {
    await Promise.all([bare.stop(), ...[...collectors.values()].map((c) => c.stop())]);
    if (brokers) await dropTopics(brokers, [COLLECTOR_TOPIC]);
    rmSync(script, { force: true });
    for (const kind of kinds) rmSync(join(ROOT, '.tmp', `bench-collector-${process.pid}-${kind}`), { recursive: true, force: true });
  }
}

/**
 * The highest request rate the distributed collector sustains: rates rising by 1.4× from 500
 * req/s (the rate-driven load above, `PACED_CONNECTIONS`), each held for a few seconds; a rate is
 * sustained when the load kept its schedule (≥ 90 % of the rate sent — opening the connections
 * takes a few per cent of a short window — : a server that falls behind
 * keeps every connection waiting, and the requests cannot leave), every answer 2xx, p99 within
 * `p99BoundMs`. (Not "answered ≥ x % of the rate": wrk does not count answers still out when it
 * stops, rate × latency of them, which judged a slower but keeping-up server by its latency
 * twice.) The figure is the answered req/s at the highest such rate. After
 * the first rate that is not, `BISECTIONS` steps of a geometric bisection between it and the last that was.
 * The same method for every setup it compares (`bench/kafka-cluster.ts`: 1 broker and 3).
 */
export async function sustainedRate(opts: {
  quick: boolean;
  brokers: string;
  label: string;
  manyVisitors: boolean;
  p99BoundMs: number;
  /** More of the collector's environment (`KAFKA_PRODUCERS`). */
  env?: Record<string, string>;
}): Promise<Record<string, number | string>> {
  const seconds = opts.quick ? 3 : 6;
  await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
  const script = (rate: number) => {
    const path = join(ROOT, '.tmp', `bench-collector-paced-${process.pid}-${Math.round(rate)}.lua`);
    writeFileSync(path, WRK_SCRIPT + (opts.manyVisitors ? WRK_MANY_VISITORS : '') + wrkPaced(rate));
    return path;
  };
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const collector = await startCollector('distributed', opts.brokers, 'fast', opts.manyVisitors, opts.env);
  const tried: { rate: number; load: Load; ok: boolean }[] = [];
  const attempt = async (rate: number) => {
    const path = script(rate);
    try {
      const load = await wrk(collector, seconds, path, PACED_CONNECTIONS);
      const ok = (load.sentPerSecond ?? 0) >= 0.9 * rate && load.non2xx + load.socketErrors === 0 && load.p99Ms <= opts.p99BoundMs;
      tried.push({ rate, load, ok });
      return ok;
    } finally {
      rmSync(path, { force: true });
    }
  };
  try {
    await wrk(collector, 1, script(500), PACED_CONNECTIONS); // warm-up: JIT, caches, Kafka metadata
    let rate = 500;
    while ((await attempt(rate)) && rate < 200_000) rate *= 1.4;
    // Bisection between the last sustained rate and the first that was not, geometrically:
    // `BISECTIONS` steps narrow the 1.4× gap to 1.4^(1/2^n) (1.04× for 3). With one step (before
    // issue 24's sixth pass) the figure could only land on a coarse grid, and a ratio of two such
    // figures moved by ±0.1 with the grid, not with the setups.
    let [low, high] = [rate / 1.4, rate];
    for (let i = 0; i < BISECTIONS && rate > 500; i++) {
      await new Promise((r) => setTimeout(r, 1000)); // what the failed rate left waiting drains
      const mid = Math.sqrt(low * high);
      if (await attempt(mid)) low = mid;
      else high = mid;
    }
  } finally {
    await collector.stop();
    await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
  }
  const best = tried.filter((t) => t.ok).sort((a, b) => b.rate - a.rate)[0];
  const m = opts.label;
  return {
    [`${m} sustained (req/s, p99 ≤ ${opts.p99BoundMs} ms)`]: best ? Math.round(best.load.rps) : 0,
    [`${m} sustained p50/p99 (ms)`]: best ? `${best.load.p50Ms.toFixed(1)} / ${best.load.p99Ms.toFixed(1)}` : '',
    [`${m} sustained main-thread CPU µs/request`]: best ? Number(best.load.cpuUs.toFixed(1)) : 0,
    [`${m} sustained steps (target → sent/answered req/s, p99 ms)`]: tried
      .map(
        (t) =>
          `${Math.round(t.rate)}→${Math.round(t.load.sentPerSecond ?? 0)}/${Math.round(t.load.rps)}${t.ok ? '' : '✗'} ${t.load.p99Ms.toFixed(0)}`,
      )
      .join(', '),
  };
}

/** User + system CPU seconds of a whole process, every thread (Linux: /proc/<pid>/stat). */
function processCpuSeconds(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime (fields 14, 15); cutime, cstime (16, 17: children waited for); clock ticks, USER_HZ = 100
  const [a, b] = children ? [13, 14] : [11, 12];
  return (Number(fields[a]) + Number(fields[b])) / 100;
}

/** CPU seconds the whole machine spent (every core, not idle or iowait) per /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/**
 * CPU seconds of JVMs' JIT compiler threads (HotSpot's `C1/C2 CompilerThread…`) and of the whole
 * processes, summed over `pids` (Linux: /proc/<pid>/task/<tid>/stat; a thread's name is cut to 15
 * characters there).
 */
export function jitCpuSeconds(pids: number[]): { jit: number; total: number } {
  let jit = 0;
  let total = 0;
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
      total += cpu;
      if (/^C\d CompilerThre/.test(stat.slice(stat.indexOf('(') + 1))) jit += cpu;
    }
  }
  return { jit, total };
}

/**
 * Warms a setup's broker JVMs until their JIT compilers are done with its load (issue 24's
 * sixth pass): fresh JVMs spend seconds of CPU compiling the hot code, three of them three times
 * what one does, and more slowly (each sees a third of the requests, so its methods reach the
 * compile thresholds later), so a cluster measured in its first minutes paid for its
 * compilation in req/s, unlike a production cluster, which is warm. One collector, the
 * rate-driven load at `rate`, in windows of `windowSeconds` until the brokers' compiler threads
 * took under `jitShare` of their CPU in a window (at most `maxWindows`). Returns each window's share.
 */
export async function warmBrokers(opts: {
  brokers: string;
  brokerPids: number[];
  rate: number;
  windowSeconds: number;
  maxWindows: number;
  jitShare: number;
}): Promise<number[]> {
  await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const path = join(ROOT, '.tmp', `bench-collector-warm-${process.pid}.lua`);
  writeFileSync(path, WRK_SCRIPT + WRK_MANY_VISITORS + wrkPaced(opts.rate));
  const collector = await startCollector('distributed', opts.brokers, 'fast', true);
  const shares: number[] = [];
  try {
    for (let i = 0; i < opts.maxWindows; i++) {
      const before = jitCpuSeconds(opts.brokerPids);
      await wrk(collector, opts.windowSeconds, path, PACED_CONNECTIONS);
      const after = jitCpuSeconds(opts.brokerPids);
      shares.push((after.jit - before.jit) / Math.max(after.total - before.total, 1e-9));
      if ((shares.at(-1) ?? 1) < opts.jitShare) break;
    }
  } finally {
    await collector.stop();
    await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
    rmSync(path, { force: true });
  }
  return shares;
}

/**
 * CPU per accepted event of every process of the distributed path, at one fixed request rate
 * below saturation (the rate-driven load above): the collector, each broker (whole JVMs) and the
 * load generator (wrk, read as this process's waited-for children's CPU: wrk is the only child
 * that exits in the window). Each request is one event. When the machine is saturated, the
 * request rates of two setups cannot differ by more than the inverse ratio of these totals —
 * whatever the collector does (`bench/kafka-cluster.ts` prints that bound beside its ratio).
 */
export async function cpuPerEvent(opts: {
  brokers: string;
  brokerPids: number[];
  label: string;
  rate: number;
  seconds: number;
  manyVisitors: boolean;
  env?: Record<string, string>;
}): Promise<{ totalMsPerEvent: number; figures: Record<string, number | string> }> {
  await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const path = join(ROOT, '.tmp', `bench-collector-cpu-${process.pid}.lua`);
  writeFileSync(path, WRK_SCRIPT + (opts.manyVisitors ? WRK_MANY_VISITORS : '') + wrkPaced(opts.rate));
  const collector = await startCollector('distributed', opts.brokers, 'fast', opts.manyVisitors, opts.env);
  try {
    await wrk(collector, 5, path, PACED_CONNECTIONS); // warm-up: JIT (the brokers' too), caches, Kafka metadata
    const pids = { collector: collector.child.pid as number, ...Object.fromEntries(opts.brokerPids.map((p, i) => [`broker ${i + 1}`, p])) };
    const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)]));
    const jitBefore = jitCpuSeconds(opts.brokerPids).jit;
    const wrkBefore = processCpuSeconds('self', true);
    const machineBefore = machineBusySeconds();
    const started = performance.now();
    const load = await wrk(collector, opts.seconds, path, PACED_CONNECTIONS);
    const wall = (performance.now() - started) / 1000;
    const machine = machineBusySeconds() - machineBefore;
    const jit = jitCpuSeconds(opts.brokerPids).jit - jitBefore;
    const cpu: Record<string, number> = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid) - (before[name] ?? 0)]),
    );
    cpu.wrk = processCpuSeconds('self', true) - wrkBefore;
    const events = load.requests;
    const perEvent = (s: number) => (s * 1000) / events; // ms of CPU per event
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    const brokersTotal = Object.entries(cpu)
      .filter(([n]) => n.startsWith('broker'))
      .reduce((a, [, s]) => a + s, 0);
    const m = `${opts.label} at ${opts.rate} req/s`;
    return {
      totalMsPerEvent: perEvent(total),
      figures: {
        [`${m}: answered (req/s), p50/p99 (ms), non-2xx`]: `${Math.round(load.rps)}, ${load.p50Ms.toFixed(1)} / ${load.p99Ms.toFixed(1)}, ${load.non2xx + load.socketErrors}`,
        [`${m}: CPU µs per event, total`]: Math.round(perEvent(total) * 1000),
        [`${m}: CPU µs per event, collector / brokers / wrk`]: [cpu.collector ?? 0, brokersTotal, cpu.wrk]
          .map((s) => Math.round(perEvent(s) * 1000))
          .join(' / '),
        [`${m}: CPU µs per event, the brokers' JIT compilers (part of the brokers')`]: Math.round(perEvent(jit) * 1000),
        [`${m}: CPU µs per event, each broker`]: Object.entries(cpu)
          .filter(([n]) => n.startsWith('broker'))
          .map(([, s]) => Math.round(perEvent(s) * 1000))
          .join(' / '),
        [`${m}: cores busy, these processes / whole machine`]: `${(total / wall).toFixed(2)} / ${(machine / wall).toFixed(2)}`,
        // The collector's one JavaScript thread: a ceiling of its own (one core at most), whatever the machine has spare.
        [`${m}: collector main thread, CPU µs per event / cores`]: `${Math.round(load.cpuUs)} / ${((load.cpuUs * load.requests) / 1e6 / wall).toFixed(2)}`,
      },
    };
  } finally {
    await collector.stop();
    await dropTopics(opts.brokers, [COLLECTOR_TOPIC]);
    rmSync(path, { force: true });
  }
}

/** The embedded stack in its own process: prints `{"url": …}` once listening (of the Hono app alone for `hono`). */
async function serveEmbedded(kind: ServerKind): Promise<void> {
  const { loadConfig, plainLogger } = await import('@tidemark/shared');
  const { startEmbedded } = await import('../src/embedded.ts');
  const config = loadConfig();
  const stack = await startEmbedded(config, plainLogger(config.logLevel));
  let url = stack.collectorUrl;
  if (kind === 'hono') {
    const { serve } = await import('@hono/node-server');
    const { listening } = await import('@tidemark/shared');
    const server = serve({ fetch: stack.collector.app.fetch, hostname: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${await listening(server as import('node:net').Server)}`;
  }
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  process.once('SIGTERM', () => void stack.stop().then(() => process.exit(0)));
}

const KINDS: readonly ServerKind[] = ['fast', 'node', 'hono'];
const self = process.argv[1] === fileURLToPath(import.meta.url);
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
if (self && process.argv.includes('--serve-embedded')) await serveEmbedded((arg('--serve-embedded') as ServerKind) ?? 'fast');
else if (self) {
  // `--servers fast,node,hono`: measure each against the same bare server (default: fast only).
  const servers = (arg('--servers') ?? 'fast').split(',') as ServerKind[];
  if (servers.some((k) => !KINDS.includes(k))) throw new Error(`--servers takes a list of ${KINDS.join(', ')}`);
  const quick = process.argv.includes('--quick');
  const only = arg('--mode');
  const rounds = arg('--rounds');
  const seconds = arg('--seconds');
  const modes = (['embedded', 'distributed'] as const).filter((m) => only === undefined || m === only);
  for (const mode of modes) {
    const figures = await benchCollector({
      quick,
      mode,
      servers: mode === 'distributed' ? servers.filter((k) => k !== 'hono') : servers,
      ...(rounds ? { rounds: Number(rounds) } : {}),
      ...(seconds ? { seconds: Number(seconds) } : {}),
      manyVisitors: process.argv.includes('--many-visitors'),
    });
    for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(48)} ${value}`);
  }
}
