/**
 * Issue 24's sixth pass, JIT warm-up: do fresh broker JVMs cost more CPU per event in their first
 * minute under load, and the cluster's three more than the one? Starts a private 1-broker and a
 * private 3-node cluster (as `kafka-cluster.ts`), then measures `cpuPerEvent` at one fixed rate in
 * successive windows, the two setups alternating (each window: a fresh collector, 5 s of warm-up
 * load, then the measured window). Prints each window's figures.
 * `npx tsx bench/kafka-warmup.ts [rate=8000] [windows=4] [seconds=10]` (under the bench lock).
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { cpuPerEvent } from './collector.ts';
import { freePort, progress, ROOT } from './lib.ts';

const [rate = 8000, windows = 4, seconds = 10] = process.argv.slice(2).map(Number);
const { kafkaNodePid, startKafka, stopKafka } = await import('../services/index.ts');
const root = join(ROOT, '.tmp', `bench-kafka-warmup-${process.pid}`);
const kafkaCluster = [];
for (let i = 0; i < 3; i++) kafkaCluster.push({ port: await freePort(), controllerPort: await freePort() });
const opts = { root, kafkaCluster, log: progress };
const single = { root, kafkaPort: await freePort(), kafkaControllerPort: await freePort(), log: progress };
try {
  const [{ brokers: oneBroker }, { brokers }] = await Promise.all([startKafka(single), startKafka(opts)]);
  const pids = async (o: typeof single | typeof opts, n: number) =>
    (await Promise.all(Array.from({ length: n }, (_, i) => kafkaNodePid(o, i + 1)))).filter((p): p is number => p !== undefined);
  const setups = [
    { label: '1 broker', brokers: oneBroker, brokerPids: await pids(single, 1) },
    { label: '3 brokers', brokers, brokerPids: await pids(opts, 3) },
  ];
  for (let w = 1; w <= windows; w++) {
    for (const setup of setups) {
      const { figures } = await cpuPerEvent({ ...setup, label: `window ${w}, ${setup.label}`, rate, seconds, manyVisitors: true });
      for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(80)} ${value}`);
    }
  }
} finally {
  await Promise.all([stopKafka(opts), stopKafka(single)]);
  rmSync(root, { recursive: true, force: true });
}
