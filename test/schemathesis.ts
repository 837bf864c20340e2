/**
 * Runs schemathesis (PyPI; `scripts/prerequisites.sh` installs it) against one OpenAPI document
 * with every check (`--checks all`), a config file and hooks from test/, and a bearer token, and
 * checks what every run must show: it passed, every operation of the document was selected and
 * tested, and every generated case passed. Each test asserts its own warnings and extras.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './harness.ts';

export interface SchemathesisRun {
  /** `http://host:port/openapi.json`. */
  documentUrl: string;
  token: string;
  /** File names under test/. */
  configFile: string;
  hooksFile: string;
  maxExamples: number;
  timeoutMs: number;
}

function schemathesisVersion(): string {
  try {
    return execFileSync('schemathesis', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('schemathesis is not on PATH: run scripts/prerequisites.sh, or `python3 -m pip install schemathesis` (4.x)');
  }
}

/** Runs it, asserts the common outcome, and returns its output and the number of operations selected. */
export async function runSchemathesis(run: SchemathesisRun): Promise<{ output: string; selected: number }> {
  const version = schemathesisVersion();
  const args = [
    '--config-file',
    join(ROOT, 'test', run.configFile),
    'run',
    run.documentUrl,
    '-H',
    `Authorization: Bearer ${run.token}`,
    '--checks',
    'all',
    '--max-examples',
    String(run.maxExamples),
    '--request-timeout',
    '20',
    '--no-color',
    '--generation-database',
    'none',
    // A failure prints its seed; SCHEMATHESIS_SEED=<it> replays that run.
    ...(process.env.SCHEMATHESIS_SEED ? ['--seed', process.env.SCHEMATHESIS_SEED] : []),
  ];
  mkdirSync(join(ROOT, '.tmp'), { recursive: true }); // schemathesis writes its reports under its working directory
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const env = { ...process.env, SCHEMATHESIS_HOOKS: join(ROOT, 'test', run.hooksFile) };
    execFile(
      'schemathesis',
      args,
      { cwd: join(ROOT, '.tmp'), env, maxBuffer: 32 << 20, timeout: run.timeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
  expect(code, `${version} failed:\n${output}`).toBe(0);
  // Every operation of the document was selected and exercised.
  const [, selected, total] = /Selected: (\d+)\/(\d+)/.exec(output) ?? [];
  expect(selected).toBe(total);
  expect(/Tested: (\d+)/.exec(output)?.[1]).toBe(total);
  expect(output).not.toMatch(/FAILURES/);
  const [, generated, passed] = /(\d+) generated, (\d+) passed/.exec(output) ?? [];
  expect(Number(generated)).toBeGreaterThan(0);
  expect(passed).toBe(generated);
  return { output, selected: Number(selected) };
}

/** One block of schemathesis's WARNINGS section: its kind ("Missing test data", …) and the operations it lists. */
export interface SchemathesisWarning {
  kind: string;
  operations: string[];
}

/**
 * The warnings a run printed, read from its WARNINGS section: each block is a line
 * `<kind>: <count> operation(s) <summary>` followed by `  - <METHOD> <path>` lines, in groups whose
 * headings end with ':' (headings and tips are skipped).
 */
export function schemathesisWarnings(output: string): SchemathesisWarning[] {
  const section = /^=+ WARNINGS =+$\n([\s\S]*?)^=+ /m.exec(output)?.[1] ?? '';
  const warnings: SchemathesisWarning[] = [];
  for (const line of section.split('\n')) {
    const item = /^ {2}- (\S+ \S+)$/.exec(line);
    if (item) warnings.at(-1)?.operations.push(item[1] as string);
    else {
      const block = /^([A-Z][^:]*): \d+ .*[^:]$/.exec(line); // a group's heading ends with ':'
      if (block) warnings.push({ kind: block[1] as string, operations: [] });
    }
  }
  return warnings;
}

/**
 * The operations of a schemathesis config file (`[[operations]]` blocks) whose schema-valid requests
 * may be answered 400 (`"400"` in `checks.positive_data_acceptance.expected-statuses`: rules the
 * document cannot state, which test/schemathesis_hooks.py holds each such 400 to), as
 * `{ method, path }` (`method` undefined: every method of the path).
 */
export function operationsAnswering400(toml: string): { method?: string; path: string }[] {
  return toml
    .split(/^\[\[operations\]\]$/m)
    .slice(1)
    .filter((block) => /^checks\.positive_data_acceptance\.expected-statuses = \[[^\]]*"400"/m.test(block))
    .flatMap((block) => {
      const path = /^include-path = "([^"]+)"$/m.exec(block)?.[1];
      const method = /^include-method = "([A-Z]+)"$/m.exec(block)?.[1];
      return path ? [{ path, ...(method ? { method } : {}) }] : [];
    });
}
