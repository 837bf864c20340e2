/**
 * deploy/prometheus/prometheus.yml against docker-compose.yml and the config schema: Prometheus
 * scrapes each service on the port where that service serves /metrics, none of them a public
 * one, and the dashboard API's with the token compose hands it.
 */
import { loadConfig } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ComposeService, environmentOf, exampleEnv, interpolate, loadCompose, readRepoFile } from './test-support.ts';

interface Job {
  job_name: string;
  authorization?: { type: string; credentials_file: string };
  static_configs: { targets: string[] }[];
}

const compose = loadCompose();
const prometheus = parse(readRepoFile('deploy/prometheus/prometheus.yml')) as { scrape_configs: Job[] };
const configOf = (name: string) => loadConfig({ ...environmentOf(compose.services[name] as ComposeService), API_TOKEN: 'x' });
const job = (name: string) => {
  const found = prometheus.scrape_configs.find((j) => j.job_name === `tidemark-${name}`);
  expect(found, name).toBeDefined();
  const [target = ''] = found?.static_configs.flatMap((c) => c.targets) ?? [];
  const [host = '', port = ''] = target.split(':');
  return { job: found as Job, host, port: Number(port) };
};

describe('deploy/prometheus/prometheus.yml', () => {
  it("scrapes the collector's metrics port, which compose binds inside the network and does not publish", () => {
    const { host, port } = job('collector');
    const config = configOf('collector').collector;
    expect(host).toBe('collector');
    expect(port).toBe(config.metricsPort);
    expect(port).not.toBe(config.port);
    expect(config.metricsHost).toBe('0.0.0.0');
    const published = (compose.services.collector?.ports ?? []).map((p) => Number(p.split(':').at(-2)));
    expect(published).not.toContain(port);
  });

  it("scrapes the ingester's own port and the dashboard API's, with the token compose gives Prometheus", () => {
    expect(job('ingester')).toMatchObject({ host: 'ingester', port: configOf('ingester').ingester.port });
    const api = job('dashboard-api');
    expect(api).toMatchObject({ host: 'dashboard-api', port: configOf('dashboard-api').api.port });
    expect(api.job.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/api_token' });
    const service = compose.services.prometheus as ComposeService & { secrets?: string[] };
    expect(service.secrets).toEqual(['api_token']);
    const secrets = (compose as unknown as { secrets: Record<string, { environment: string }> }).secrets;
    expect(secrets.api_token?.environment).toBe('API_TOKEN');
    expect(service.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(interpolate(service.ports?.[0] ?? '', exampleEnv())).toMatch(/^127\.0\.0\.1:/);
  });
});
