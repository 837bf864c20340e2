/**
 * `pnpm bench [--quick] [--only a,b]`: every benchmark, a progress line per step, one table at
 * the end, also written to bench/results.json with the machine it ran on. Figures that depend
 * on the machine's speed come with a ratio to a baseline measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Figures, progress, ROOT } from './lib.ts';

interface Bench {
  name: string;
  run(quick: boolean): Promise<Figures>;
  /** Only with `--only <name>` (too long for a plain `pnpm bench`). */
  optIn?: boolean;
}

const BENCHES: Bench[] = [
  { name: 'tracker', run: async () => (await import('./tracker.ts')).benchTracker() },
  {
    name: 'collector',
    // Load from wrk (Debian's package), which `pnpm bench` checks first (scripts/prerequisites.sh bench).
    run: async (quick) => {
      const { benchCollector } = await import('./collector.ts');
      // A full run measures the fast path against the same collector without it (docs/collector-http.md).
      const servers = quick ? (['fast'] as const) : (['fast', 'node'] as const);
      return {
        ...(await benchCollector({ quick, mode: 'embedded', servers: [...servers] })),
        ...(await benchCollector({ quick, mode: 'distributed', servers: [...servers] })),
      };
    },
  },
  { name: 'kafka-cluster', run: async (quick) => (await import('./kafka-cluster.ts')).benchKafkaCluster({ quick }) },
  { name: 'wire', run: async (quick) => (await import('./wire.ts')).benchWire({ quick }) },
  { name: 'ingest', run: async (quick) => (await import('./ingest.ts')).benchIngest({ quick }) },
  {
    name: 'freshness',
    run: async (quick) => {
      const { benchFreshness } = await import('./freshness.ts');
      const seconds = quick ? 8 : 60;
      const rate = quick ? 2000 : 5000;
      const results = {
        ...(await benchFreshness({ mode: 'embedded', rate, seconds, flushIntervalMs: 250 })),
        ...(await benchFreshness({ mode: 'distributed', rate, seconds, flushIntervalMs: 250 })),
      };
      if (quick) return results;
      // One host, one ingester: fewer partitions mean fewer, larger inserts (docs/scale-out.md).
      return {
        ...results,
        ...(await benchFreshness({
          mode: 'distributed',
          rate,
          seconds,
          flushIntervalMs: 250,
          env: { KAFKA_PARTITIONS: '2' },
          label: 'distributed (2 partitions)',
        })),
      };
    },
  },
  { name: 'queries', run: async (quick) => (await import('./queries.ts')).benchQueries({ quick }) },
  { name: 'alerts', run: async (quick) => (await import('./alerts.ts')).benchAlerts({ quick }) },
  {
    name: 'query12m',
    run: async (quick) => (await import('./query12m.ts')).benchQuery12m({ quick, rows: quick ? 1_000_000 : 10_000_000 }),
  },
  {
    name: 'query12m-100m',
    run: async (quick) => (await import('./query12m.ts')).benchQuery12m({ quick, rows: 100_000_000 }),
    optIn: true,
  },
  { name: 'storage', run: async (quick) => (await import('./storage.ts')).benchStorage({ rows: quick ? 100_000 : 2_000_000 }) },
  {
    name: 'import',
    // A Plausible export of 1 GB (100 MB quick), embedded, and with the ClickHouse server of CLICKHOUSE_URL when set.
    run: async (quick) =>
      (await import('./import.ts')).benchImport({
        megabytes: quick ? 100 : 1024,
        ...(process.env.CLICKHOUSE_URL && { clickhouseUrl: process.env.CLICKHOUSE_URL }),
      }),
  },
];

function versionOf(command: string, args: string[]): string {
  try {
    return (
      execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .trim()
        .split('\n')[0] ?? ''
    );
  } catch {
    return 'unknown';
  }
}

async function machine(): Promise<Record<string, string | number>> {
  const pom = versionOf('grep', ['-o', '<kafka.version>[^<]*', join(ROOT, 'services/kafka/pom.xml')]).replace('<kafka.version>', '');
  let clickhouse = 'unknown';
  try {
    const { createClickHouse, loadConfig } = await import('@tidemark/shared');
    const { mkdtempSync } = await import('node:fs');
    const client = createClickHouse(loadConfig({ DATA_DIR: mkdtempSync('/tmp/tidemark-v-') }).clickhouse);
    clickhouse =
      (await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]?.v ?? 'unknown';
    await client.close();
  } catch {
    // reported as unknown
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kafka: pom,
    clickhouse,
    java: versionOf('java', ['-version']) || versionOf('sh', ['-c', 'java -version 2>&1']),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1])?.split(',') : undefined;
  const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')} (have ${BENCHES.map((b) => b.name).join(', ')})`);
    process.exit(2);
  }
  const selected = BENCHES.filter((b) => (only ? only.includes(b.name) : !b.optIn));
  const results: Record<string, Figures | { error: string }> = {};
  const started = Date.now();
  for (const [i, bench] of selected.entries()) {
    progress(`(${i + 1}/${selected.length}) ${bench.name}${quick ? ' --quick' : ''}`);
    const t = Date.now();
    try {
      results[bench.name] = await bench.run(quick);
      progress(`${bench.name} done in ${Math.round((Date.now() - t) / 1000)} s`);
    } catch (error) {
      results[bench.name] = { error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) };
      progress(`${bench.name} FAILED: ${(results[bench.name] as { error: string }).error}`);
    }
  }
  const info = await machine();
  const rows: string[] = ['| benchmark | figure | value |', '|---|---|---|'];
  for (const [name, figures] of Object.entries(results)) {
    for (const [key, value] of Object.entries(figures)) rows.push(`| ${name} | ${key} | ${value} |`);
  }
  const header = `Machine: ${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, Kafka ${info.kafka}, ClickHouse ${info.clickhouse}${quick ? ' — quick mode' : ''}`;
  console.log(`\n${header}\n\n${rows.join('\n')}\n`);
  writeFileSync(
    join(ROOT, 'bench', 'results.json'),
    `${JSON.stringify({ at: new Date().toISOString(), quick, seconds: Math.round((Date.now() - started) / 1000), machine: info, results }, null, 2)}\n`,
  );
  progress(`written bench/results.json (${Math.round((Date.now() - started) / 1000)} s in all)`);
  if (Object.values(results).some((r) => 'error' in r)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
