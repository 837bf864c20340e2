/**
 * The Kafka of docker-compose.yml, booted for real: the `kafka` service's environment turned
 * into server.properties by the apache/kafka image's own rule (KAFKA_FOO_BAR → foo.bar),
 * with the compose host name and ports mapped to free loopback ports, run on the Kafka
 * jars of `pnpm services:fetch`. Tidemark's producer then creates its topics (automatic
 * topic creation is off in that config) and gets an `acks=all` acknowledgement.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafkaQueueProducer, loadConfig, plainLogger, type QueueProducer } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentOf, loadCompose } from '../deploy/test-support.ts';
import { ensureJars } from '../services/kafka.ts';
import { uniqueName, waitFor } from './harness.ts';
import { syntheticEvent } from './ingester-support.ts';
import { freePort } from './processes.ts';

const run = promisify(execFile);

/**
 * The variables the image keeps out of server.properties, exactly as its kafka-propertiesSpec.json
 * lists them (KAFKA_HEAP_OPTS is not among them: it also lands there, as an unused `heap.opts`).
 */
const NOT_PROPERTIES = new Set([
  'KAFKA_VERSION',
  'KAFKA_HEAP_OPT',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
]);

/** KAFKA_FOO_BAR → foo.bar, `__` → `_`, `___` → `-`: the apache/kafka image's ConvertKey. */
function propertyName(variable: string): string {
  return variable
    .slice('KAFKA_'.length)
    .replace(/(?<!_)_(?!_)/g, '.')
    .replaceAll('___', '-')
    .replaceAll('__', '_')
    .toLowerCase();
}

describe('the compose Kafka configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-kafka-'));
  const env = environmentOf(loadCompose().services.kafka ?? {});
  let broker: ChildProcess;
  let producer: QueueProducer | undefined;
  let brokers = '';
  let output = '';

  beforeAll(async () => {
    const [port, controller] = [await freePort(), await freePort()];
    const local = (value: string) =>
      value
        .replaceAll('kafka:9092', `127.0.0.1:${port}`)
        .replaceAll('kafka:9093', `127.0.0.1:${controller}`)
        .replaceAll('://:9092', `://127.0.0.1:${port}`)
        .replaceAll('://:9093', `://127.0.0.1:${controller}`);
    const properties = Object.entries(env)
      .filter(([key]) => key.startsWith('KAFKA_') && !NOT_PROPERTIES.has(key))
      .map(([key, value]) => `${propertyName(key)}=${key === 'KAFKA_LOG_DIRS' ? join(dir, 'data') : local(value)}`);
    writeFileSync(join(dir, 'server.properties'), `${properties.join('\n')}\n`);
    brokers = `127.0.0.1:${port}`;

    const jars = await ensureJars(join(dir, 'fetch.log'), () => {});
    const classpath = ['-cp', join(jars, '*'), '-Djava.awt.headless=true'];
    await run(
      'java',
      [...classpath, 'kafka.tools.StorageTool', 'format', '-t', env.CLUSTER_ID ?? '', '-c', join(dir, 'server.properties')],
      {
        cwd: dir,
      },
    );
    broker = spawn('java', ['-Xmx384m', ...classpath, 'kafka.Kafka', join(dir, 'server.properties')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    broker.stdout?.on('data', collect);
    broker.stderr?.on('data', collect);
    const listening = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    await waitFor(listening, (ok) => ok || broker.exitCode !== null, 90_000, 250);
    if (broker.exitCode !== null) throw new Error(`the compose Kafka config did not start:\n${output.slice(-4000)}`);
  });

  afterAll(async () => {
    await producer?.close();
    if (broker && broker.exitCode === null) {
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the variables the way the image does', () => {
    expect(propertyName('KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR')).toBe('offsets.topic.replication.factor');
    expect(propertyName('KAFKA_LISTENER_SECURITY_PROTOCOL_MAP')).toBe('listener.security.protocol.map');
    expect(propertyName('KAFKA_AUTO_CREATE_TOPICS_ENABLE')).toBe('auto.create.topics.enable');
  });

  it('boots a KRaft broker that takes Tidemark events with acks=all', async () => {
    const topic = uniqueName('deploy_kafka');
    const config = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: `${topic}_dlq` });
    producer = await createKafkaQueueProducer(config.kafka, plainLogger());
    expect(await producer.ready()).toBe(true);
    await producer.send([syntheticEvent('deploy.example', 0), syntheticEvent('deploy.example', 1)]);
  });
});
