/** Runs Tidemark services as separate OS processes, configured only by the environment. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

/** Ports this process handed out, never handed out twice. */
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (`listen(0)` and outgoing connections use it). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 12_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port nothing listens on, for a server a test starts. Chosen at random BELOW the kernel's
 * ephemeral range: a port there is also what `listen(0)` hands any other process and the local
 * end of outgoing connections, so between our check and the server's bind (nginx, Caddy, a
 * broker take seconds to start) another test could take it, and our requests would reach
 * someone else's server.
 */
export async function freePort(): Promise<number> {
  const top = ephemeralStart();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (top - 10_000));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between 10000 and ${top}`);
}

export interface Service {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM, wait for exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** `pnpm --filter @tidemark/<name> start`, minus pnpm: the same entry with the same environment. */
export function startService(name: 'collector' | 'ingester' | 'dashboard-api', env: Record<string, string>): Service {
  // Node's own type stripping, as the package's start script and the images run it.
  const child = spawn(process.execPath, [join(ROOT, 'packages', name, 'src', 'main.ts')], {
    cwd: ROOT,
    // A collector's metrics port is a free one unless the test names it.
    // SERVICE_NODE_OPTIONS: Node options for the services only (e.g. `--report-on-signal`, to see where a stuck one is).
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      COLLECTOR_METRICS_PORT: '0',
      ...(process.env.SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVICE_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output: () => out,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls a URL until it answers 200, failing early (with the service's output) if it exits. */
export async function waitHealthy(service: Service, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited (${service.child.exitCode}):\n${service.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not healthy at ${url} after ${timeoutMs} ms:\n${service.output()}`);
}
