/** Small helpers shared by the benchmarks: percentiles, child processes, free ports, progress lines. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export type Figures = Record<string, number | string>;

export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * One call's wall time and this process's CPU time over it (user + system, every thread), in ms:
 * the embedded engine runs in this process, so its CPU is the query's.
 */
export async function wallAndCpu(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const used = process.cpuUsage();
  const started = performance.now();
  await run();
  const d = process.cpuUsage(used);
  return { wall: performance.now() - started, cpu: (d.user + d.system) / 1000 };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export { freePort } from '../test/processes.ts';

/**
 * Runs `script --child <args>` with tsx in its own process (the embedded engine holds one data
 * directory per process) and resolves with the figures it prints as its last stdout line.
 */
export function childFigures(script: string, args: string[]): Promise<Figures> {
  const child = spawn(TSX, [fileURLToPath(script), '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (!last.startsWith('{')) reject(new Error(`${script} child exited ${signal ?? code}: ${out}`));
      // A child that dies after printing its figures still measured everything: keep them, and say
      // how it ended (seen once: the 100M run's child exited 139 after its last query, one past the
      // 15 s limit; the cause is not known).
      else if (code === 0) resolve(JSON.parse(last));
      else resolve({ ...JSON.parse(last), 'child exit': `${signal ?? code}, after printing its figures` });
    });
  });
}

export interface Child {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startChild(command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitOk(url: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`process exited:\n${child.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${child.output()}`);
}

export const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

/**
 * The command line of a bench file measured in a child: `--child <rows>` measures and prints the
 * figures as JSON; run alone, it runs the child and prints a table.
 */
export async function childMain(
  moduleUrl: string,
  measure: (rows: number, quick: boolean) => Promise<Figures>,
  bench: (quick: boolean) => Promise<Figures>,
): Promise<void> {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  const quick = process.argv.includes('--quick');
  if (process.argv[2] === '--child') {
    process.stdout.write(`${JSON.stringify(await measure(Number(process.argv[3]), quick))}\n`);
    process.exit(0);
  }
  const results = await bench(quick);
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  process.exit(0);
}
