// Apache Kafka for development and tests, run from Maven Central jars (resolved by
// services/kafka/pom.xml) as detached JVMs: one combined broker+controller KRaft node (the
// default), or a cluster of N such nodes with static voters, replication 3 and
// min.insync.replicas 2 (`pnpm services:start --brokers 3`, and the failover tests).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaAnswers } from './kafka-metadata.ts';
import { type KafkaNodePorts, type Log, logger, type ServiceOptions, serviceDir } from './options.ts';
import {
  isAlive,
  livePid,
  rotateLog,
  runToLog,
  since,
  spawnDetached,
  terminate,
  waitForExit,
  waitUntilReady,
  withLock,
} from './process.ts';

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const kafkaBrokers = `127.0.0.1:${KAFKA_PORT}`;

const pom = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url));
const LOCK_WAIT_MS = 5 * 60_000; // a first start may spend minutes in mvn
/** Heap of one JVM: 512 MB alone; a cluster's nodes share the machine with everything else. */
const HEAP_ONE = '-Xmx512m';
const HEAP_CLUSTER = '-Xmx256m';
const READY_TIMEOUT_MS = 120_000;
/**
 * More JVM flags for every node, one broker or a cluster alike (space-separated), after the
 * defaults: to try a setting without editing this file (docs/kafka-client.md, "The CPU bound,
 * two producers, broker CPU per event": the serial GC was tried so, and not adopted).
 */
const extraJvmFlags = () => (process.env.TIDEMARK_KAFKA_JVM_OPTS ?? '').split(/\s+/).filter(Boolean);
/** More broker settings for every node (`name=value` pairs separated by commas), after the defaults: later lines win. */
const extraProperties = () =>
  (process.env.TIDEMARK_KAFKA_PROPERTIES ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `${p}\n`)
    .join('');

/** `pnpm services:start --brokers N`: node n (1-based) on 9092 + 2(n-1), its controller on the port after. */
export function defaultKafkaCluster(nodes: number): KafkaNodePorts[] {
  return Array.from({ length: nodes }, (_, i) => ({ port: KAFKA_PORT + 2 * i, controllerPort: KAFKA_CONTROLLER_PORT + 2 * i }));
}

interface NodeFiles extends KafkaNodePorts {
  id: number;
  dir: string;
  data: string;
  // The properties path is on the JVM's command line, which tells our broker apart.
  properties: string;
  log: string;
  pid: string;
}

type Layout = ReturnType<typeof layout>;

function layout(opts: ServiceOptions) {
  const ports = opts.kafkaCluster ?? [
    { port: opts.kafkaPort ?? KAFKA_PORT, controllerPort: opts.kafkaControllerPort ?? KAFKA_CONTROLLER_PORT },
  ];
  const cluster = opts.kafkaCluster !== undefined;
  const dir = serviceDir(opts, cluster ? 'kafka-cluster' : 'kafka');
  const nodes: NodeFiles[] = ports.map((p, i) => {
    // One node keeps the layout it always had; a cluster's node n lives in n<n>/.
    const nodeDir = cluster ? join(dir, `n${i + 1}`) : dir;
    return {
      ...p,
      id: i + 1,
      dir: nodeDir,
      data: join(nodeDir, 'data'),
      properties: join(nodeDir, 'server.properties'),
      log: join(nodeDir, 'kafka.log'),
      pid: join(nodeDir, 'kafka.pid'),
    };
  });
  return {
    cluster,
    dir,
    nodes,
    brokers: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    /** A node is ready when it answers and sees every node of the cluster as a live broker. */
    ready: (n: NodeFiles) => kafkaAnswers('127.0.0.1', n.port, nodes.length),
    log4j: join(dir, 'log4j2.properties'),
    lock: join(dir, 'kafka.lock'),
    clusterId: join(dir, 'cluster-id'),
  };
}

function serverProperties(l: Layout, n: NodeFiles): string {
  const common = `# Written by services/kafka.ts on every start.
process.roles=broker,controller
node.id=${n.id}
listeners=PLAINTEXT://127.0.0.1:${n.port},CONTROLLER://127.0.0.1:${n.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${n.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${n.data}
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
`;
  if (!l.cluster) {
    return `${common}controller.quorum.bootstrap.servers=127.0.0.1:${n.controllerPort}
# One node: replication factor 1, and few partitions so internal topics come up fast.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
`;
  }
  const voters = l.nodes.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',');
  const replicas = Math.min(3, l.nodes.length);
  const minIsr = Math.max(1, replicas - 1);
  return `${common}controller.quorum.voters=${voters}
# A cluster: every topic replicated, a write acknowledged once ${minIsr} replicas have it.
default.replication.factor=${replicas}
min.insync.replicas=${minIsr}
unclean.leader.election.enable=false
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=${replicas}
share.coordinator.state.topic.min.isr=${minIsr}
share.coordinator.state.topic.num.partitions=3
`;
}

// Log4j 2 to stdout, which spawnDetached sends to kafka.log along with any JVM output.
const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
`;

/**
 * The broker's jars, cached outside the repository in ~/.cache/tidemark/kafka-<version>.
 * Resolved with mvn when missing or when pom.xml changed since (a stamp holds its hash).
 */
export async function ensureJars(logFile: string, log: Log): Promise<string> {
  const pomText = await readFile(pom, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pomText)?.[1];
  if (version === undefined) throw new Error(`no <kafka.version> in ${pom}`);
  const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const dir = join(cacheHome, 'tidemark', `kafka-${version}`);
  const stamp = '.pom-sha256';
  const hash = createHash('sha256').update(pomText).digest('hex');
  const cachedHash = () => readFile(join(dir, stamp), 'utf8').catch(() => '');
  if ((await cachedHash()) === hash) return dir;

  const started = performance.now();
  log(`kafka: fetching ${version} jars with mvn (see ${logFile})`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const mvnArgs = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'];
  await runToLog('mvn', mvnArgs, dirname(pom), logFile);
  await writeFile(join(tmp, stamp), hash);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir).catch(async (err: unknown) => {
    // Another start resolved the same jars at the same moment: use theirs.
    await rm(tmp, { recursive: true, force: true });
    if ((await cachedHash()) !== hash) throw err;
  });
  log(`kafka: jars cached in ${dir} (${since(started)})`);
  return dir;
}

/** A KRaft cluster id: 16 random bytes, base64url, not starting with '-' (like random-uuid). */
function newClusterId(): string {
  const id = randomBytes(16).toString('base64url');
  return id.startsWith('-') ? newClusterId() : id;
}

/**
 * Starts the broker, or every node of the cluster that is not running (so after a node was
 * killed, this restarts just that one), and waits until all are ready.
 */
export async function startKafka(opts: ServiceOptions = {}): Promise<{ brokers: string; startedByUs: boolean }> {
  const l = layout(opts);
  await mkdir(l.dir, { recursive: true });
  const startedByUs = await withLock(l.lock, LOCK_WAIT_MS, () => start(l, logger(opts)));
  return { brokers: l.brokers, startedByUs };
}

/** Stops the broker or cluster started from this root; resolves to whether one was running. */
export async function stopKafka(opts: ServiceOptions = {}): Promise<boolean> {
  const l = layout(opts);
  await mkdir(l.dir, { recursive: true });
  return withLock(l.lock, LOCK_WAIT_MS, () => stop(l, logger(opts)));
}

/** The pid of node `id` (1-based) of the broker or cluster started from this root, if it runs. */
export function kafkaNodePid(opts: ServiceOptions, id: number): Promise<number | undefined> {
  const n = layout(opts).nodes[id - 1];
  if (n === undefined) throw new Error(`no kafka node ${id}`);
  return livePid(n.pid, n.properties);
}

/** kill -9 of node `id`: no controlled shutdown, as when a machine dies. `startKafka` brings it back. */
export async function killKafkaNode(opts: ServiceOptions, id: number): Promise<void> {
  const n = layout(opts).nodes[id - 1];
  const pid = await kafkaNodePid(opts, id);
  if (n === undefined || pid === undefined) throw new Error(`kafka node ${id} is not running`);
  process.kill(pid, 'SIGKILL');
  if (!(await waitForExit(pid, n.properties, 10_000))) throw new Error(`kafka node ${id} (pid ${pid}) outlived SIGKILL`);
  await rm(n.pid, { force: true });
}

/** The node leading the KRaft controller quorum now (the active controller), from each node's quorum-state file. */
export async function activeController(opts: ServiceOptions): Promise<number | undefined> {
  let best: { leaderId: number; leaderEpoch: number } | undefined;
  for (const n of layout(opts).nodes) {
    try {
      const state = JSON.parse(await readFile(join(n.data, '__cluster_metadata-0', 'quorum-state'), 'utf8')) as {
        leaderId: number;
        leaderEpoch: number;
      };
      if (state.leaderId >= 0 && (best === undefined || state.leaderEpoch > best.leaderEpoch)) best = state;
    } catch {
      // not written yet
    }
  }
  return best?.leaderId;
}

/** Resolves to true if it started any node, false if all were already running. */
async function start(l: Layout, log: Log): Promise<boolean> {
  const what = l.cluster ? `kafka (${l.nodes.length} nodes)` : 'kafka';
  const running = await Promise.all(l.nodes.map((n) => livePid(n.pid, n.properties)));
  const answering = await Promise.all(l.nodes.map(l.ready));
  if (answering.every(Boolean)) {
    log(running.every((p) => p !== undefined) ? `${what}: already running` : `${what}: already answering on ${l.brokers}`);
    return false;
  }
  const missing = l.nodes.filter((_, i) => running[i] === undefined);
  if (missing.length === 0) {
    log(`${what}: running, not ready yet, waiting`);
    await waitAllReady(l, running as number[]);
    return false;
  }
  for (const n of missing) {
    if (await kafkaAnswers('127.0.0.1', n.port)) {
      throw new Error(`127.0.0.1:${n.port} is taken by a Kafka broker not started here (another layout? \`pnpm services:stop\` first)`);
    }
  }

  const started = performance.now();
  const jars = await ensureJars(join(l.dir, 'mvn.log'), log);
  await writeFile(l.log4j, LOG4J2);
  const jvm = ['-cp', join(jars, '*'), `-Dlog4j2.configurationFile=${l.log4j}`, '-Djava.awt.headless=true'];
  const clusterId = await readFile(l.clusterId, 'utf8').catch(() => newClusterId());
  await writeFile(l.clusterId, clusterId);
  const pids = [...running];
  await Promise.all(
    missing.map(async (n) => {
      await mkdir(n.data, { recursive: true });
      await rotateLog(n.log);
      await writeFile(n.properties, serverProperties(l, n) + extraProperties());
      if (!existsSync(join(n.data, 'meta.properties'))) {
        log(`kafka: formatting node ${n.id}'s storage`);
        const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', n.properties, ...(l.cluster ? [] : ['--standalone'])];
        await runToLog('java', [...jvm, ...format], n.dir, n.log);
      }
      const args = [l.cluster ? HEAP_CLUSTER : HEAP_ONE, ...extraJvmFlags(), ...jvm, 'kafka.Kafka', n.properties];
      pids[n.id - 1] = await spawnDetached({ command: 'java', args, cwd: n.dir, logFile: n.log, pidFile: n.pid });
    }),
  );
  try {
    await waitAllReady(l, pids as number[]);
  } catch (err) {
    // Leave nothing half-started: the nodes this call started go again.
    await Promise.all(missing.map((n) => stopNode(n, pids[n.id - 1] as number)));
    throw err;
  }
  log(
    `${what}: ready on ${l.brokers} (${since(started)}${missing.length < l.nodes.length ? `, restarted node ${missing.map((n) => n.id).join(', ')}` : ''})`,
  );
  return true;
}

async function waitAllReady(l: Layout, pids: number[]): Promise<void> {
  await Promise.all(
    l.nodes.map((n, i) =>
      waitUntilReady({
        name: l.cluster ? `kafka node ${n.id}` : 'kafka',
        pid: pids[i] as number,
        marker: n.properties,
        ready: () => l.ready(n),
        timeoutMs: READY_TIMEOUT_MS,
        logFile: n.log,
      }),
    ),
  );
}

async function stopNode(n: NodeFiles, pid: number): Promise<void> {
  if (isAlive(pid)) await terminate(pid, n.properties, 30_000); // SIGTERM is Kafka's controlled shutdown
  await rm(n.pid, { force: true });
}

async function stop(l: Layout, log: Log): Promise<boolean> {
  const what = l.cluster ? `kafka (${l.nodes.length} nodes)` : 'kafka';
  const pids = await Promise.all(l.nodes.map((n) => livePid(n.pid, n.properties)));
  if (pids.every((p) => p === undefined)) {
    if (!l.cluster) log((await l.ready(l.nodes[0] as NodeFiles)) ? 'kafka: not started here, leaving it running' : 'kafka: not running');
    return false;
  }
  const started = performance.now();
  // All at once: a node stopping alone waits for the others to take over its partitions.
  await Promise.all(l.nodes.map((n, i) => (pids[i] === undefined ? undefined : stopNode(n, pids[i] as number))));
  log(`${what}: stopped (${since(started)})`);
  return true;
}
