// pnpm services:start | services:stop
import { startServices, stopServices } from './index.ts';
import { since } from './process.ts';

const log = (msg: string) => console.log(msg);

async function main(command: string | undefined): Promise<void> {
  const started = performance.now();
  if (command === 'start') {
    const services = await startServices({ log });
    console.log(`services ready (${since(started)}). Environment:`);
    console.log(`KAFKA_BROKERS=${services.kafkaBrokers}`);
    console.log(`CLICKHOUSE_URL=${services.clickhouseUrl}`);
  } else if (command === 'stop') {
    await stopServices({ log });
  } else {
    console.error('usage: tsx services/cli.ts start|stop');
    process.exitCode = 2;
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`services: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
