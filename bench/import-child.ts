/**
 * The process `bench/import.ts` measures: Tidemark (the one-process mode, or its API with a
 * ClickHouse server from `CLICKHOUSE_URL`), to which the benchmark posts an export. `API_TOKEN` comes from the benchmark. Prints
 * `ready <api url>` and its resident memory once started; on SIGUSR2, its peak resident memory
 * over its whole life, then it stops.
 */
import { loadConfig, plainLogger } from '@tidemark/shared';
import { startEmbedded } from '../src/embedded.ts';

const config = loadConfig({
  ...process.env,
  HOST: '127.0.0.1',
  COLLECTOR_PORT: '0',
  CLICKHOUSE_DATABASE: 'bench_import',
  LOG_LEVEL: 'warn',
});
const stack = await startEmbedded(config, plainLogger('warn'));
process.once('SIGUSR2', async () => {
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  await stack.client.command({ query: 'DROP DATABASE IF EXISTS bench_import' });
  await stack.stop();
  console.log(JSON.stringify({ peakRssMb }));
  process.exit(0);
});
console.log(`ready ${stack.apiUrl} ${Math.round(process.memoryUsage().rss / 1024 / 1024)}`);
