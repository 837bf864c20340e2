/**
 * docker-compose.yml as an operator would use it: it parses with the `.env` of
 * deploy/env.example, every Tidemark service is configured only by variables the config
 * schema knows (and accepts), and every service restarts, reports health and starts in order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import {
  type ComposeService,
  dockerfilePath,
  environmentOf,
  exampleEnv,
  interpolate,
  interpolations,
  loadCompose,
  ROOT,
  readRepoFile,
  readVariables,
  repoPathExists,
  SERVICES,
} from './test-support.ts';

const compose = loadCompose();

/** The non-test TypeScript of a package, concatenated. */
function sourceOf(name: string): string {
  const dir = join(ROOT, 'packages', name, 'src');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}
const services = compose.services;
const always = Object.entries(services).filter(([, s]) => !s.profiles?.length);

describe('docker-compose.yml', () => {
  it('runs Kafka, ClickHouse, the three services and Grafana, and Caddy and Prometheus on demand', () => {
    expect(Object.keys(services).sort()).toEqual([
      'caddy',
      'clickhouse',
      'collector',
      'dashboard-api',
      'grafana',
      'ingester',
      'kafka',
      'prometheus',
    ]);
    expect(services.prometheus?.profiles).toEqual(['monitoring']);
    expect(services.kafka?.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/);
    expect(services.grafana?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(services.caddy?.profiles).toEqual(['caddy']);
  });

  it('pins every image and builds the Tidemark ones from their Dockerfiles', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.${}:-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
    for (const name of SERVICES) {
      expect(services[name]?.build, name).toEqual({ context: '.', dockerfile: dockerfilePath(name) });
      expect(repoPathExists(dockerfilePath(name)), name).toBe(true);
    }
  });

  it('restarts every service and checks the health of every one that runs by default', () => {
    for (const [name, service] of Object.entries(services)) expect(service.restart, name).toBe('unless-stopped');
    for (const [name, service] of always) expect(service.healthcheck?.test, name).toBeDefined();
  });

  it('starts a service only after the ones it depends on are healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      const deps = service.depends_on ?? {};
      expect(Array.isArray(deps), `${name}: depends_on needs conditions`).toBe(false);
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(services[dep], `${name} → ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe('service_healthy');
        expect(services[dep]?.healthcheck, `${name} → ${dep}`).toBeDefined();
      }
    }
    expect(Object.keys(services.ingester?.depends_on ?? {}).sort()).toEqual(['clickhouse', 'kafka']);
    expect(Object.keys(services.collector?.depends_on ?? {})).toContain('kafka');
  });

  it('configures the Tidemark services only with variables the config schema reads, and valid values', () => {
    for (const name of SERVICES) {
      const env = environmentOf(services[name] as ComposeService);
      const known = readVariables(env);
      const unknown = Object.keys(env).filter((key) => !known.has(key));
      expect(unknown, `${name} sets variables packages/shared/src/config.ts never reads`).toEqual([]);
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('gives each service what it needs to run without the embedded mode', () => {
    const config = (name: string) => loadConfig(environmentOf(services[name] as ComposeService));
    expect(config('collector').kafka.brokers).toEqual(['kafka:9092']);
    expect(config('collector').collector.trustProxy).toBe(true);
    expect(config('ingester').kafka.brokers).toEqual(['kafka:9092']);
    expect(config('ingester').clickhouse.url).toBe('http://clickhouse:8123');
    expect(config('dashboard-api').clickhouse.url).toBe('http://clickhouse:8123');
    // Without a token the API would bind to loopback inside its container: unreachable.
    expect(config('dashboard-api').api.token).not.toBeNull();
    expect(config('dashboard-api').api.host).toBe('0.0.0.0');
  });

  it('points health checks at the port each service listens on', () => {
    const ports: Record<string, number> = {
      collector: loadConfig(environmentOf(services.collector as ComposeService)).collector.port,
      ingester: loadConfig(environmentOf(services.ingester as ComposeService)).ingester.port,
      'dashboard-api': loadConfig(environmentOf(services['dashboard-api'] as ComposeService)).api.port,
    };
    for (const name of SERVICES) {
      const test = services[name]?.healthcheck?.test;
      expect(test, name).toEqual(['CMD', 'node', '/app/healthcheck.mjs', expect.stringMatching(`^http://127\\.0\\.0\\.1:${ports[name]}/`)]);
      const path = new URL((test as string[])[3] ?? '').pathname;
      expect(sourceOf(name), `${name} serves ${path}`).toContain(`'${path}'`);
    }
  });

  it('keeps ClickHouse data on a volume, behind a password that is not the default', () => {
    expect(services.clickhouse?.volumes).toContain('clickhouse-data:/var/lib/clickhouse');
    expect(services.kafka?.volumes).toContain('kafka-data:/var/lib/kafka/data');
    expect(services.grafana?.volumes).toContain('grafana-data:/var/lib/grafana');
    for (const volume of ['clickhouse-data', 'kafka-data', 'grafana-data']) expect(compose.volumes).toHaveProperty(volume);
    const text = readRepoFile('docker-compose.yml');
    expect(() => interpolate(text, { ...exampleEnv(), CLICKHOUSE_PASSWORD: '' })).toThrow(/CLICKHOUSE_PASSWORD/);
    const users = readRepoFile('deploy/clickhouse/users.d/tidemark.xml');
    expect(users).toContain('<password from_env="TIDEMARK_CLICKHOUSE_PASSWORD"/>');
    expect(environmentOf(services.clickhouse as ComposeService).TIDEMARK_CLICKHOUSE_PASSWORD).toBe(exampleEnv().CLICKHOUSE_PASSWORD);
    expect(environmentOf(services.ingester as ComposeService).CLICKHOUSE_USER).toBe('tidemark');
  });

  it('publishes the services on the loopback only, and only the proxy publicly', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) {
        if (name === 'caddy') expect(port).toMatch(/^(80|443):(80|443)(\/udp)?$/);
        else expect(port, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('./')) continue;
        expect(repoPathExists(source), `${name} mounts ${source}`).toBe(true);
      }
    }
  });

  it('documents in deploy/env.example every variable it needs from .env', () => {
    const documented = exampleEnv();
    for (const { name, operator } of interpolations(readRepoFile('docker-compose.yml'))) {
      expect(operator, `\${${name}} needs a default (:-) or a message (:?)`).toBeDefined();
      expect(documented, `${name} is not in deploy/env.example`).toHaveProperty(name);
    }
  });

  it("gives Grafana every variable its provisioning reads, with the dashboard issue's files", () => {
    const dir = join(ROOT, 'deploy/grafana/provisioning');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
    expect(files.some((f) => f.startsWith('datasources'))).toBe(true);
    const env = environmentOf(services.grafana as ComposeService);
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const [, name] of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)) {
        if (name?.startsWith('GF_') || name === '__file' || name === '__env') continue;
        expect(env, `${file} reads $${name}`).toHaveProperty(name as string);
      }
    }
  });
});
