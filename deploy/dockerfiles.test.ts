/**
 * The images, checked without a Docker engine: each Dockerfile parses and lints clean, builds
 * in two stages from a pinned Node image of the major the project requires, ships production
 * dependencies only (`deploy/docker/assemble.sh`, and chdb is not one of them), runs as a
 * non-root user, and starts a file that exists in its package with Node alone (its own type
 * stripping, no loader), the same command as the package's start script.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@tidemark/shared';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import {
  dockerfilePath,
  type ParsedDockerfile,
  parseDockerfile,
  readRepoFile,
  readVariables,
  repoPathExists,
  SERVICES,
  type ServiceName,
} from './test-support.ts';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  engines?: { node?: string };
}

const manifest = (dir: string) => JSON.parse(readRepoFile(`${dir}/package.json`)) as Manifest;
const dirOf = (name: string) => `packages/${name.replace('@tidemark/', '')}`;
const defaults = loadConfig({});
const DEFAULT_PORT: Record<ServiceName, number> = {
  collector: defaults.collector.port,
  ingester: defaults.ingester.port,
  'dashboard-api': defaults.api.port,
};

/** The workspace packages a service ships: itself and its workspace dependencies, transitively. */
function workspaceClosure(dir: string, seen = new Set<string>()): Set<string> {
  if (seen.has(dir)) return seen;
  seen.add(dir);
  for (const [dep, version] of Object.entries(manifest(dir).dependencies ?? {})) {
    if (version.startsWith('workspace:')) workspaceClosure(dirOf(dep), seen);
  }
  return seen;
}

describe.each(SERVICES)('%s image', (service) => {
  const path = dockerfilePath(service);
  const text = readRepoFile(path);
  const dockerfile: ParsedDockerfile = parseDockerfile(text);
  const [build, runtime] = dockerfile.stages;
  const final = (keyword: string) => runtime?.instructions.filter((i) => i.keyword === keyword) ?? [];

  it('parses and lints without a problem', () => {
    expect(validate(text).map((d) => `${path}:${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds in two stages from a pinned Node image of the major the project requires (24)', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', null]);
    const [, required, minor] = /^>=(\d+)\.(\d+)$/.exec(manifest('.').engines?.node ?? '') ?? [];
    expect(Number(required)).toBeGreaterThanOrEqual(24);
    for (const stage of dockerfile.stages) {
      const [, major, imageMinor] = /^node:(\d+)\.(\d+)\.\d+-[a-z]+-slim$/.exec(stage.image) ?? [];
      expect(major, `${stage.image} is not a pinned slim Node image`).toBe(required);
      expect(Number(imageMinor)).toBeGreaterThanOrEqual(Number(minor));
    }
  });

  it('ships only the production dependencies of its package (deploy/docker/assemble.sh)', () => {
    const run = build?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args) ?? [];
    expect(run.join('\n')).toContain(`bash deploy/docker/assemble.sh ${service} /out`);
    expect(manifest(`packages/${service}`).name).toBe(`@tidemark/${service}`);
    expect(final('COPY').map((i) => i.args)).toContain('--from=build /out /app');
  });

  it('ships without chdb, which only the embedded mode loads', () => {
    for (const dir of workspaceClosure(`packages/${service}`)) expect(manifest(dir).dependencies ?? {}, dir).not.toHaveProperty('chdb');
    const shared = manifest('packages/shared');
    expect(shared.peerDependenciesMeta?.chdb?.optional).toBe(true);
    expect(readRepoFile('packages/shared/src/clickhouse.ts')).not.toMatch(/^import .* from 'chdb/m);
  });

  it('runs as a non-root user', () => {
    const users = final('USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts a file of its package with Node alone, as its start script does', () => {
    const [workdir] = final('WORKDIR').map((i) => i.args);
    expect(workdir).toBe(`/app/packages/${service}`);
    const cmd = final('CMD').at(-1)?.json;
    expect(cmd).toEqual(['node', 'src/main.ts']);
    expect(repoPathExists(`packages/${service}/${cmd?.[1]}`)).toBe(true);
    // No loader (tsx) ships: Node strips the types itself.
    for (const dir of workspaceClosure(`packages/${service}`)) expect(manifest(dir).dependencies ?? {}, dir).not.toHaveProperty('tsx');
    // The same command as `pnpm --filter <package> start`, the one the README documents.
    expect((JSON.parse(readRepoFile(`packages/${service}/package.json`)) as { scripts: Record<string, string> }).scripts.start).toBe(
      'node src/main.ts',
    );
  });

  it('exposes and health-checks the default port of its service', () => {
    expect(final('EXPOSE').map((i) => i.args)).toEqual([String(DEFAULT_PORT[service])]);
    const [check] = final('HEALTHCHECK');
    expect(check?.args).toContain(`"http://127.0.0.1:${DEFAULT_PORT[service]}/healthz"`);
    expect(final('COPY').map((i) => i.args)).toContain('deploy/docker/healthcheck.mjs /app/healthcheck.mjs');
  });

  it('sets no environment the config schema does not know, and copies only files that exist', () => {
    const known = readVariables();
    for (const env of final('ENV')) expect(known.has(env.args.split(/[=\s]/)[0] ?? ''), env.args).toBe(true);
    for (const copy of final('COPY')) {
      if (copy.args.startsWith('--from=')) continue;
      const source = copy.args.split(/\s+/)[0] ?? '';
      expect(repoPathExists(source), `${path} copies ${source}`).toBe(true);
    }
  });
});

describe('image layouts', () => {
  it('keeps the migrations where the ingester looks for them', async () => {
    const { MIGRATIONS_DIR } = await import('@tidemark/ingester');
    const migrateDir = fileURLToPath(new URL('../packages/ingester/src/', import.meta.url));
    const fromSource = relative(migrateDir, MIGRATIONS_DIR);
    const inImage = resolve('/app/packages/ingester/src', fromSource);
    const copies = parseDockerfile(readRepoFile(dockerfilePath('ingester')))
      .stages.at(-1)
      ?.instructions.filter((i) => i.keyword === 'COPY')
      .map((i) => i.args);
    expect(copies).toContain(`clickhouse/ ${inImage}/`);
    expect(relative(dirname(MIGRATIONS_DIR), MIGRATIONS_DIR)).toBe('clickhouse');
  });

  it('builds the tracker into the collector image, and the tracker package ships what it exports', () => {
    const collector = parseDockerfile(readRepoFile(dockerfilePath('collector')));
    const run = collector.stages[0]?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args) ?? [];
    expect(run.join('\n')).toContain('pnpm --filter @tidemark/tracker build');
    const tracker = manifest('packages/tracker');
    expect(manifest('packages/collector').dependencies).toHaveProperty('@tidemark/tracker');
    // The collector resolves the built scripts through the tracker's package exports.
    expect(tracker.files).toEqual(expect.arrayContaining(['dist']));
    expect(tracker.exports?.['./script.js']).toBe('./dist/script.js');
    expect(tracker.exports?.['./script.full.js']).toBe('./dist/script.full.js');
  });

  it("type-checks the sources with erasableSyntaxOnly, so they hold only syntax Node's type stripping removes", () => {
    const base = JSON.parse(readRepoFile('tsconfig.base.json')) as { compilerOptions: Record<string, unknown> };
    expect(base.compilerOptions).toMatchObject({ erasableSyntaxOnly: true, verbatimModuleSyntax: true, allowImportingTsExtensions: true });
    for (const service of SERVICES) {
      expect((JSON.parse(readRepoFile(`packages/${service}/tsconfig.json`)) as { extends?: string }).extends).toBe(
        '../../tsconfig.base.json',
      );
    }
  });

  it('keeps local installs, builds and secrets out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', '.git', '.env', '.services']) expect(ignored).toContain(entry);
  });
});
