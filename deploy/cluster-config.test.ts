/**
 * deploy/clickhouse/cluster/ agrees with the migrations and with itself: the cluster it defines
 * is a valid CLICKHOUSE_CLUSTER, every macro the Replicated engines use is defined per node,
 * and the ClickHouse nodes look for Keeper where the Keeper nodes run.
 */
import { renderMigration } from '@tidemark/ingester';
import { loadConfig } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from './test-support.ts';

const cluster = readRepoFile('deploy/clickhouse/cluster/cluster.xml');
const macros = readRepoFile('deploy/clickhouse/cluster/macros.xml');
const keeper = readRepoFile('deploy/clickhouse/cluster/keeper.xml');
const name = /<remote_servers>\s*<([A-Za-z_][A-Za-z0-9_]*)>/.exec(cluster)?.[1] ?? '';

describe('the ClickHouse cluster example', () => {
  it('names a cluster that CLICKHOUSE_CLUSTER accepts, and the guide uses', () => {
    expect(loadConfig({ CLICKHOUSE_CLUSTER: name }).clickhouse.cluster).toBe(name);
    expect(readRepoFile('docs/scale-out.md')).toContain(`CLICKHOUSE_CLUSTER=${name}`);
  });

  it('defines on every node the macros the Replicated engines use', () => {
    const config = loadConfig({ CLICKHOUSE_CLUSTER: name }).clickhouse;
    const sql = renderMigration(
      'CREATE TABLE {{database}}.t {{on_cluster}} (a UInt8) ENGINE = {{engine:MergeTree}} ORDER BY a',
      config,
    ).join('\n');
    const used = [...sql.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] ?? '').filter((m) => m !== 'database' && m !== 'table');
    expect(used.sort()).toEqual(['replica', 'shard']);
    for (const macro of used) expect(macros, macro).toMatch(new RegExp(`<${macro}>[^<]+</${macro}>`));
  });

  it('points the ClickHouse nodes at the Keeper nodes, an odd number of them', () => {
    const clients = [...cluster.matchAll(/<node><host>([^<]+)<\/host><port>(\d+)<\/port><\/node>/g)].map((m) => `${m[1]}:${m[2]}`);
    const port = /<tcp_port>(\d+)<\/tcp_port>/.exec(keeper)?.[1];
    const servers = [...keeper.matchAll(/<hostname>([^<]+)<\/hostname>/g)].map((m) => `${m[1]}:${port}`);
    expect(clients.sort()).toEqual(servers.sort());
    expect(servers.length % 2).toBe(1);
  });
});
