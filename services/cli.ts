// pnpm services:start [--brokers N] | services:stop | services:reset | services:fetch
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { defaultKafkaCluster, startServices, stopServices } from './index.ts';
import { ensureJars } from './kafka.ts';
import { serviceDir } from './options.ts';
import { since } from './process.ts';

const log = (msg: string) => console.log(msg);

/** `--brokers N` (or `--brokers=N`): 1 (the default) or a cluster of N ≥ 3 nodes. */
function brokerCount(args: string[]): number {
  const at = args.findIndex((a) => a === '--brokers' || a.startsWith('--brokers='));
  if (at < 0) return 1;
  const raw = args[at]?.includes('=') ? args[at]?.split('=')[1] : args[at + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9 || n === 2) throw new Error(`--brokers takes 1 or a cluster size from 3 to 9, not ${raw}`);
  return n;
}

async function main(command: string | undefined, args: string[]): Promise<void> {
  const started = performance.now();
  if (command === 'start') {
    const brokers = brokerCount(args);
    const services = await startServices({ log, ...(brokers > 1 ? { kafkaCluster: defaultKafkaCluster(brokers) } : {}) });
    console.log(`services ready (${since(started)}). Environment:`);
    console.log(`KAFKA_BROKERS=${services.kafkaBrokers}`);
    console.log(`CLICKHOUSE_URL=${services.clickhouseUrl}`);
  } else if (command === 'fetch') {
    // Only resolve the broker's jars (CI does this before the tests, outside their timeouts).
    const dir = serviceDir({}, 'kafka');
    mkdirSync(dir, { recursive: true });
    console.log(`kafka jars in ${await ensureJars(join(dir, 'mvn.log'), log)}`);
  } else if (command === 'stop') {
    await stopServices({ log });
  } else if (command === 'reset') {
    // Tests and benchmarks name their own topics and databases; over weeks they pile up (one
    // machine held 1 556 partition directories, 17 GB) and slow the broker. Start empty again.
    await stopServices({ log });
    for (const name of ['kafka', 'clickhouse']) rmSync(join(serviceDir({}, name), 'data'), { recursive: true, force: true });
    rmSync(serviceDir({}, 'kafka-cluster'), { recursive: true, force: true });
    console.log('services stopped and their data removed; `pnpm services:start` starts them empty');
  } else {
    console.error('usage: tsx services/cli.ts start [--brokers N]|stop|reset|fetch');
    process.exitCode = 2;
  }
}

main(process.argv[2], process.argv.slice(3)).catch((err: unknown) => {
  console.error(`services: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
