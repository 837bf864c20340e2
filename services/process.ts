// Process helpers shared by the service scripts: pid files, detached spawning, readiness waits.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** True while `pid` is alive and its command line contains `marker` (guards against pid reuse). */
async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    // A zombie or another program that reused the pid has a different (or empty) command line.
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(marker);
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the signal check
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid recorded in `file` if that process is still ours; a stale file is removed. */
export async function livePid(file: string, marker: string): Promise<number | undefined> {
  const pid = await readPid(file);
  if (pid === undefined) return undefined;
  if (await isOurProcess(pid, marker)) return pid;
  await rm(file, { force: true });
  return undefined;
}

/**
 * Runs `fn` holding an exclusive lock file, so two starts (or a start and a stop) of the same
 * service never race. A lock left by a dead process is taken over.
 */
export async function withLock<T>(file: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const mine = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await linkIfAbsent(mine, file))) {
      const owner = await readPid(file);
      if (owner === undefined || !isAlive(owner)) await rm(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`${file} is held by pid ${owner}`);
      else await sleep(200);
    }
  } finally {
    await rm(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

/** link() creates the lock file atomically, with the owner's pid already in it. */
async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How the processes this process spawned ended, by pid, for startup error messages. */
const exits = new Map<number, string>();

/** Starts a process in its own session, output appended to `logFile`, and records its pid. */
export async function spawnDetached(opts: {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
}): Promise<number> {
  const out = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', out, out],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${opts.command}: no pid`);
    const pid = child.pid;
    child.once('exit', (code, signal) => exits.set(pid, signal ? `killed by ${signal}` : `exit code ${code}`));
    await writeFile(opts.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Runs a command to completion with its output appended to `logFile`. */
export async function runToLog(command: string, args: string[], cwd: string, logFile: string): Promise<void> {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, stdio: ['ignore', out, out] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`${command} failed (exit ${code}); see ${logFile}`);
  } finally {
    closeSync(out);
  }
}

/** Keeps the previous run's log as `<file>.1` so each start begins a fresh one. */
export async function rotateLog(file: string): Promise<void> {
  await rename(file, `${file}.1`).catch(() => {});
}

/** Polls `ready` until it answers true; fails early if the process dies. */
export async function waitUntilReady(opts: {
  name: string;
  pid: number;
  marker: string;
  ready: () => Promise<boolean>;
  timeoutMs: number;
  logFile: string;
  intervalMs?: number;
}): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await opts.ready()) return;
    if (!(await isOurProcess(opts.pid, opts.marker))) {
      const how = exits.get(opts.pid);
      throw new Error(`${opts.name} exited during startup${how ? ` (${how})` : ''}; see ${opts.logFile}${await logHint(opts.logFile)}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
  throw new Error(`${opts.name} not ready after ${opts.timeoutMs / 1000}s; see ${opts.logFile}`);
}

/** The log's last error lines (else its last lines), indented, for error messages. */
async function logHint(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !/^\s|^\d+\. /.test(line)); // no stack frames
  if (lines.length === 0) return ' (the log is empty)';
  const errors = lines.filter((line) => /ERROR|FATAL|Exception/.test(line));
  return (errors.length > 0 ? errors : lines)
    .slice(-4)
    .map((line) => `\n  ${line.slice(0, 300)}`)
    .join('');
}

/** Waits up to `timeoutMs` for the process to exit; true if it did. */
export async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isOurProcess(pid, marker)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** SIGTERM, then SIGKILL if the process outlives `graceMs`. */
export async function terminate(pid: number, marker: string, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, marker, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, marker, 5_000);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export function since(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)}s`;
}
