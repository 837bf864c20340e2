import { createClickHouse, loadConfig } from '@tidemark/shared';

const config = loadConfig({ DATA_DIR: process.argv[2] as string, CLICKHOUSE_DATABASE: 'bench_dashboard' });
const client = createClickHouse(config.clickhouse);
for (const query of process.argv.slice(3)) console.log(JSON.stringify(await (await client.query({ query, format: 'JSONEachRow' })).json()));
await client.close();
