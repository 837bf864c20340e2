// A single-node Apache Kafka broker (KRaft, combined broker + controller) for development and
// tests, run from Maven Central jars (resolved by services/kafka/pom.xml) as a detached JVM.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaAnswers } from './kafka-metadata.ts';
import { type Log, logger, type ServiceOptions, serviceDir } from './options.ts';
import { livePid, rotateLog, runToLog, since, spawnDetached, terminate, waitUntilReady, withLock } from './process.ts';

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const kafkaBrokers = `127.0.0.1:${KAFKA_PORT}`;

const pom = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url));
const LOCK_WAIT_MS = 5 * 60_000; // a first start may spend minutes in mvn

type Files = ReturnType<typeof files>;

function files(opts: ServiceOptions) {
  const dir = serviceDir(opts, 'kafka');
  const port = opts.kafkaPort ?? KAFKA_PORT;
  const controllerPort = opts.kafkaControllerPort ?? KAFKA_CONTROLLER_PORT;
  return {
    port,
    controllerPort,
    brokers: `127.0.0.1:${port}`,
    ready: () => kafkaAnswers('127.0.0.1', port),
    dir,
    data: join(dir, 'data'),
    // The properties path is on the JVM's command line, which tells our broker apart.
    properties: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.properties'),
    log: join(dir, 'kafka.log'),
    pid: join(dir, 'kafka.pid'),
    lock: join(dir, 'kafka.lock'),
  };
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return `# Written by services/kafka.ts on every start.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}
log.dirs=${dataDir}
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
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
function clusterId(): string {
  const id = randomBytes(16).toString('base64url');
  return id.startsWith('-') ? clusterId() : id;
}

export async function startKafka(opts: ServiceOptions = {}): Promise<{ brokers: string; startedByUs: boolean }> {
  const f = files(opts);
  await mkdir(f.data, { recursive: true });
  const startedByUs = await withLock(f.lock, LOCK_WAIT_MS, () => start(f, logger(opts)));
  return { brokers: f.brokers, startedByUs };
}

/** Stops the broker started from this root; resolves to whether one was running. */
export async function stopKafka(opts: ServiceOptions = {}): Promise<boolean> {
  const f = files(opts);
  await mkdir(f.dir, { recursive: true });
  return withLock(f.lock, LOCK_WAIT_MS, () => stop(f, logger(opts)));
}

/** Resolves to true if it started the broker, false if one was already running. */
async function start(f: Files, log: Log): Promise<boolean> {
  const running = await livePid(f.pid, f.properties);
  if (await f.ready()) {
    log(running ? `kafka: already running (pid ${running})` : `kafka: already answering on ${f.brokers}`);
    return false;
  }
  if (running !== undefined) {
    log(`kafka: pid ${running} not answering yet, waiting`);
    await waitUntilReady({ name: 'kafka', pid: running, marker: f.properties, ready: f.ready, timeoutMs: 120_000, logFile: f.log });
    return false;
  }

  const started = performance.now();
  await rotateLog(f.log);
  const jars = await ensureJars(f.log, log);
  await writeFile(f.properties, serverProperties(f.data, f.port, f.controllerPort));
  await writeFile(f.log4j, LOG4J2);
  const jvm = ['-cp', join(jars, '*'), `-Dlog4j2.configurationFile=${f.log4j}`, '-Djava.awt.headless=true'];
  if (!existsSync(join(f.data, 'meta.properties'))) {
    log('kafka: formatting storage');
    const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', f.properties, '--standalone'];
    await runToLog('java', [...jvm, ...format], f.dir, f.log);
  }
  const args = ['-Xmx512m', ...jvm, 'kafka.Kafka', f.properties];
  const pid = await spawnDetached({ command: 'java', args, cwd: f.dir, logFile: f.log, pidFile: f.pid });
  try {
    await waitUntilReady({ name: 'kafka', pid, marker: f.properties, ready: f.ready, timeoutMs: 120_000, logFile: f.log });
  } catch (err) {
    await terminate(pid, f.properties, 10_000);
    await rm(f.pid, { force: true });
    throw err;
  }
  log(`kafka: ready on ${f.brokers} (${since(started)})`);
  return true;
}

async function stop(f: Files, log: Log): Promise<boolean> {
  const pid = await livePid(f.pid, f.properties);
  if (pid === undefined) {
    log((await f.ready()) ? 'kafka: not started here, leaving it running' : 'kafka: not running');
    return false;
  }
  const started = performance.now();
  await terminate(pid, f.properties, 30_000); // SIGTERM is Kafka's controlled shutdown
  await rm(f.pid, { force: true });
  log(`kafka: stopped (${since(started)})`);
  return true;
}
