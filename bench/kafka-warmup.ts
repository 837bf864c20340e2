/**
 * Issue 24's sixth pass, JIT warm-up: do fresh broker JVMs cost more CPU per event in their first
 * minute under load, and the cluster's three more than the one? Starts a private 1-broker and a
 * private 3-node cluster (as `kafka-cluster.ts`), then measures `cpuPerEvent` at one fixed rate in
 * successive windows, the two setups alternating (each window: a fresh collector, 5 s of warm-up
 * load, then the measured window). Prints each window's figures.
 * `npx tsx bench/kafka-warmup.ts [rate=8000] [windows=4] [seconds=10]` (under the bench lock).
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpuPerEvent } from './collector.ts';
import { freePort, progress, ROOT } from './lib.ts';

/** CPU seconds of each thread group of a process (the thread's name, digits and separators after its stem dropped). */
function threadGroups(pid: number): Map<string, number> {
  const groups = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat
        .slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        .replace(/[-#\s]*\d+$/, '')
        .replace(/\d+/g, 'N');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      groups.set(name, (groups.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return groups;
}

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
      const before = setup.brokerPids.map(threadGroups);
      const { figures } = await cpuPerEvent({ ...setup, label: `window ${w}, ${setup.label}`, rate, seconds, manyVisitors: true });
      for (const [name, value] of Object.entries(figures)) console.log(`${name.padEnd(80)} ${value}`);
      // Where each broker's CPU went over the whole call (the collector's start, 5 s of warm-up, the window), by thread group.
      setup.brokerPids.forEach((pid, i) => {
        const after = threadGroups(pid);
        const diff = [...after].map(([n, s]) => [n, s - (before[i]?.get(n) ?? 0)] as const).filter(([, s]) => s >= 0.05);
        diff.sort((a, b) => b[1] - a[1]);
        console.log(`  broker ${i + 1} threads (CPU s): ${diff.map(([n, s]) => `${n} ${s.toFixed(2)}`).join(', ')}`);
      });
    }
  }
} finally {
  await Promise.all([stopKafka(opts), stopKafka(single)]);
  rmSync(root, { recursive: true, force: true });
}
