/** Runs Tidemark services as separate OS processes, configured only by the environment. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
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
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COLLECTOR_METRICS_PORT: '0', ...env },
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
