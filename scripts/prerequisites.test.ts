/**
 * The prerequisites step (`scripts/prerequisites.sh`, run before `pnpm test`, `pnpm start`,
 * `pnpm bench` and by `.ci/run`), run for real with tools taken off the `PATH`: it names each
 * missing tool on its own line with the command that installs it, stops with a failure before
 * anything runs, and installs only when allowed. The tools it hides are present on this
 * machine: `pnpm test` checked them before this file ran.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'prerequisites.sh');
const work = mkdtempSync(join(tmpdir(), 'tidemark-prerequisites-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runStep(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT, ...args], { env: { HOME: process.env.HOME, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let mirrors = 0;
/** This process's PATH with `hidden` commands taken out: each directory holding one is replaced by a copy of links to the rest. */
function pathWithout(...hidden: string[]): string {
  return (process.env.PATH ?? '')
    .split(':')
    .map((dir) => {
      if (!hidden.some((name) => existsSync(join(dir, name)))) return dir;
      const mirror = join(work, `path-${mirrors++}`);
      mkdirSync(mirror);
      for (const entry of readdirSync(dir)) if (!hidden.includes(entry)) symlinkSync(join(dir, entry), join(mirror, entry));
      return mirror;
    })
    .join(':');
}

/** A directory with executable shell scripts standing in for commands. */
function fakes(scripts: Record<string, string>): string {
  const dir = join(work, `fakes-${mirrors++}`);
  mkdirSync(dir);
  for (const [name, body] of Object.entries(scripts)) writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

const missingLines = (stderr: string) => stderr.split('\n').filter((line) => /^ {2}\S+ +\(/.test(line));

describe('scripts/prerequisites.sh', () => {
  it('passes on this machine, which has every tool the tests need', async () => {
    const run = await runStep([], { PATH: process.env.PATH, TIDEMARK_NO_INSTALL: '1' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^prerequisites \(test\): node 24\.\d+\.\d+, pnpm \d+\.\d+\.\d+, java \d+, .* — all present\n$/);
  });

  it('names each missing tool on one line with the command that installs it, and fails', async () => {
    const run = await runStep([], {
      PATH: pathWithout('caddy', 'nginx'),
      CHROMIUM_PATH: join(work, 'no-chromium'),
      TIDEMARK_NO_INSTALL: '1',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('prerequisites (test): 3 missing, nothing was run:');
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(missingLines(run.stderr).map((line) => line.replace(/ +/g, ' '))).toEqual([
      ` chromium (no ${join(work, 'no-chromium')}) install: ${sudo}apt-get install -y chromium`,
      ` nginx (not found) install: ${sudo}apt-get install -y nginx-light`,
      ` caddy (not found) install: ${sudo}apt-get install -y caddy`,
    ]);
    expect(run.stderr).toContain('TIDEMARK_NO_INSTALL is set: nothing was installed');
  });

  it('says which Node it found when it is older than the engines field allows', async () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const [, min, major] = /^>=((\d+)\.\d+)$/.exec(engines) ?? [];
    const oldNode = fakes({ node: 'echo v20.20.2' });
    const run = await runStep(['start'], { PATH: `${oldNode}:${process.env.PATH}`, TIDEMARK_NO_INSTALL: '1' });
    expect(run.code).toBe(1);
    expect(missingLines(run.stderr).map((line) => line.replace(/ +/g, ' '))).toEqual([
      ` node (20.20.2, needs ${min} or newer) install: ${process.getuid?.() === 0 ? '' : 'sudo '}npm install --global --prefix /usr/local node@${major}`,
    ]);
  });

  it('installs a missing Debian package with apt-get when run as root, then checks again', async () => {
    const calls = join(work, 'apt-get-calls');
    // apt-get that records its arguments and installs nothing: the second check still misses caddy.
    const apt = fakes({ 'apt-get': `echo "$*" >> ${calls}` });
    const run = await runStep([], { PATH: `${apt}:${pathWithout('caddy')}` });
    expect(run.code).toBe(1);
    expect(missingLines(run.stderr).map((line) => line.split(/ +/)[1])).toEqual(['caddy']);
    if (process.getuid?.() === 0) {
      expect(readFileSync(calls, 'utf8').split('\n')).toEqual(['update -qq', 'install -y -qq caddy', '']);
      expect(run.stdout).toContain('prerequisites: apt-get install caddy');
    } else {
      expect(existsSync(calls)).toBe(false); // not root: nothing installed, the line says sudo
      expect(run.stderr).toContain('sudo apt-get install -y caddy');
    }
  });

  it('refuses an unknown command group', async () => {
    const run = await runStep(['deploy'], { PATH: process.env.PATH });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: bash scripts/prerequisites.sh [test|start|bench]');
  });

  it('is what pnpm test, start and bench run first, and what CI runs before installing', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.pretest).toBe('bash scripts/prerequisites.sh test');
    expect(scripts.prestart).toBe('bash scripts/prerequisites.sh start');
    expect(scripts.prebench).toBe('bash scripts/prerequisites.sh bench');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci.indexOf('bash scripts/prerequisites.sh')).toBeGreaterThan(-1);
    expect(ci.indexOf('bash scripts/prerequisites.sh')).toBeLessThan(ci.indexOf('pnpm install'));
  });

  it('lists in the README every tool it checks', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    const names = [...script.matchAll(/^ {2}need +\S+ +(\S+) /gm)].map((m) => m[1] ?? '');
    expect(names.length).toBeGreaterThan(10);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Run every test'), readme.indexOf('\n## ', readme.indexOf('## Run every test') + 1));
    for (const name of names) expect(section, name).toContain(name);
  });
});
