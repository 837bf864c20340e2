/**
 * The collector against the real Kafka broker: concurrent requests to two collector
 * instances → exactly one enriched row per event on the topic, nothing raw in them,
 * and one visitor id across instances (the shared salt topic).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Collector, createCollector, createKafkaSalts, type KafkaSalts } from '@tidemark/collector';
import {
  type Config,
  createKafkaQueueConsumer,
  createKafkaQueueProducer,
  decodeMessage,
  loadConfig,
  partitionOf,
  plainLogger,
  type QueueConsumer,
  SCHEMA_VERSION,
  type StoredEvent,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DESKTOP_UA, uniqueName, waitFor } from './harness.ts';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const log = plainLogger('warn');

interface Instance {
  url: string;
  collector: Collector;
  salts: KafkaSalts;
  server: Server;
  registry: Registry;
}

async function startInstance(config: Config): Promise<Instance> {
  const brokers = config.kafka.brokers ?? [];
  const registry = new Registry();
  const salts = await createKafkaSalts({ brokers, topic: config.kafka.saltsTopic, log });
  const producer = await createKafkaQueueProducer(config.kafka, log);
  const collector = createCollector({ config: config.collector, producer, log, registry, salts });
  const server = collector.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, collector, salts, server, registry };
}

async function stopInstance(instance: Instance): Promise<void> {
  await new Promise((resolve) => instance.server.close(resolve));
  await instance.collector.close();
  await instance.salts.close();
}

describe('collector → Kafka', () => {
  let config: Config;
  let instances: Instance[] = [];
  let consumer: QueueConsumer;
  const received: StoredEvent[] = [];
  const raw: string[] = [];
  const formats = new Set<string>();
  /** Events found on another partition than Kafka's default placement of their key gives. */
  const misplaced: string[] = [];

  beforeAll(async () => {
    config = loadConfig({
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC: uniqueName('collector_events'),
      KAFKA_DLQ_TOPIC: uniqueName('collector_dlq'),
      KAFKA_GROUP_ID: uniqueName('collector_test'),
      KAFKA_SALTS_TOPIC: uniqueName('collector_salts'),
      KAFKA_PARTITIONS: '3',
      TRUST_PROXY: 'true',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    });
    // The second instance runs two idempotent producers, each visitor pinned to one (KAFKA_PRODUCERS).
    instances = await Promise.all([startInstance(config), startInstance({ ...config, kafka: { ...config.kafka, producers: 2 } })]);
    consumer = await createKafkaQueueConsumer(config.kafka, log, { maxRows: 1000, intervalMs: 100 });
    // Ready first, as a load balancer would wait: one event per instance until it is taken.
    for (const instance of instances) {
      const warm = () =>
        fetch(`${instance.url}/api/event`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
          body: JSON.stringify({ site: 'warmup.example', name: 'pageview', url: 'https://warmup.example/' }),
        }).then((r) => r.status);
      expect(await waitFor(warm, (status) => status === 202, 30_000, 500)).toBe(202);
    }
    void consumer.run(async (fetch) => {
      for (const message of fetch.messages) {
        formats.add(`${message.headers['tidemark-format']} v${message.headers['tidemark-schema']}`);
        raw.push(message.value.toString('latin1'));
        for (const event of decodeMessage(message)) {
          if (event.site !== 'warmup.example') received.push(event);
          if (partitionOf(event, 3) !== fetch.partition) misplaced.push(event.event_id);
        }
      }
      const last = fetch.messages[fetch.messages.length - 1];
      if (last) await fetch.commit(last.offset + 1n);
    });
  });

  afterAll(async () => {
    await consumer?.close();
    await Promise.all(instances.map(stopInstance));
  });

  it('puts exactly one enriched row per accepted event on the topic, with no raw IP or User-Agent', async () => {
    const sent = new Map<string, { ip: string; ua: string; i: number }>();
    const requests: Promise<Response>[] = [];
    for (let r = 0; r < 150; r++) {
      const ip = r % 3 === 0 ? '81.2.69.160' : `192.0.2.${r % 50}`;
      const ua = r % 2 === 0 ? DESKTOP_UA : IPHONE_UA;
      const count = r < 100 ? 1 : 6; // 100 single events, 50 arrays of 6: 400 events
      const events = Array.from({ length: count }, (_, k) => {
        const eventId = randomUUID();
        sent.set(eventId, { ip, ua, i: r * 10 + k });
        return {
          site: 'shop.example',
          name: 'pageview',
          url: `https://shop.example/p/${r}?utm_source=mail&utm_campaign=c${r}&gclid=g${r}`,
          referrer: 'https://www.google.com/search?q=x',
          eventId,
          screenWidth: 390,
        };
      });
      const instance = instances[r % 2] as Instance;
      requests.push(
        fetch(`${instance.url}/api/event`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', 'User-Agent': ua, 'X-Forwarded-For': ip },
          body: JSON.stringify(count === 1 ? events[0] : events),
        }),
      );
    }
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status)).toEqual(Array(150).fill(202));

    await waitFor(
      async () => received.length,
      (n) => n >= sent.size,
      60_000,
    );
    // exactly N: nothing more arrives afterwards
    await waitFor(
      async () => received.length,
      (n) => n > sent.size,
      2_000,
    );
    expect(received).toHaveLength(400);
    expect(new Set(received.map((e) => e.event_id))).toEqual(new Set(sent.keys()));
    expect(misplaced).toEqual([]); // with one producer or two, a visitor's partition is Kafka's

    for (const event of received) {
      const from = sent.get(event.event_id);
      expect(from).toBeDefined();
      expect(event).toMatchObject({
        site: 'shop.example',
        host: 'shop.example',
        utm_source: 'mail',
        referrer_host: 'google.com',
        referrer_source: 'search',
        screen_width: 390,
        device: from?.ua === DESKTOP_UA ? 'desktop' : 'mobile',
        browser: from?.ua === DESKTOP_UA ? 'Chrome' : 'Mobile Safari',
        country: from?.ip === '81.2.69.160' ? 'GB' : '',
      });
      expect(event.path).toMatch(/^\/p\/\d+$/);
      expect(event.click_id).toMatch(/^gclid:g\d+$/);
      expect(event.visitor_id).toMatch(/^\d+$/);
    }
    expect([...formats]).toEqual([`RowBinary v${SCHEMA_VERSION}`]);
    const all = raw.join('\n');
    for (const secret of ['81.2.69.160', '192.0.2.', 'Mozilla/5.0', 'iPhone OS', 'AppleWebKit']) expect(all).not.toContain(secret);

    // How many sends the requests shared depends on how they overlapped (asserted in the unit
    // tests of group-commit.ts, where the timing is controlled); here it is only reported.
    let sends = 0;
    for (const instance of instances) {
      const metric = await instance.registry.getSingleMetric('tidemark_collector_produce_batch_events')?.get();
      sends +=
        metric?.values.find((v) => (v as { metricName?: string }).metricName === 'tidemark_collector_produce_batch_events_count')?.value ??
        0;
    }
    console.log(`collector-kafka: 150 requests, 400 events, ${sends} sends (2 of them warm-up)`);
  });

  it('gives a visitor the same id on every collector instance (one salt per day, shared through Kafka)', async () => {
    const ids: string[] = [];
    for (const instance of instances) {
      const eventId = randomUUID();
      const res = await fetch(`${instance.url}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': DESKTOP_UA, 'X-Forwarded-For': '203.0.113.77' },
        body: JSON.stringify({ site: 'shop.example', name: 'pageview', url: 'https://shop.example/', eventId }),
      });
      expect(res.status).toBe(202);
      const found = await waitFor(
        async () => received.find((e) => e.event_id === eventId),
        (e) => e !== undefined,
        30_000,
      );
      ids.push(found?.visitor_id ?? '');
    }
    expect(ids[0]).not.toBe('');
    expect(ids[1]).toBe(ids[0]);
    expect(instances[0]?.salts.saltFor(Date.now()).equals(instances[1]?.salts.saltFor(Date.now()) ?? Buffer.alloc(0))).toBe(true);
  });

  it('answers /readyz 200 while Kafka is reachable', async () => {
    const res = await fetch(`${instances[0]?.url}/readyz`);
    expect(res.status).toBe(200);
  });
});
