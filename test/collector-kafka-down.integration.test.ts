/**
 * Kafka stopped mid-run, against a private broker (its own ports and data directory, so
 * the shared one keeps serving everyone else): the collector — its own OS process —
 * answers 503 with Retry-After and /readyz 503, stays alive, resumes by itself when the
 * broker is back, every event it answered 202 is on the topic and none it answered 503 is
 * (a request whose send was out when the broker went is answered 504: it may be stored).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaQueueConsumer, decodeMessage, loadConfig, plainLogger } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, stopKafka } from '../services/index.ts';
import { DESKTOP_UA, ROOT, uniqueName, waitFor } from './harness.ts';
import { CLIENT } from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

interface Sent {
  eventId: string;
  status: number;
  retryAfter: string | null;
  at: number;
}

describe('collector with Kafka stopped mid-run', () => {
  const root = join(ROOT, '.tmp', uniqueName('kafka_private'));
  const topic = uniqueName('down_events');
  let kafka: { root: string; kafkaPort: number; kafkaControllerPort: number };
  let brokers = '';
  let collector: Service;
  let url = '';

  beforeAll(async () => {
    kafka = { root, kafkaPort: await freePort(), kafkaControllerPort: await freePort() };
    brokers = (await startKafka(kafka)).brokers;
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    collector = startService('collector', {
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(port),
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      KAFKA_SALTS_TOPIC: uniqueName('down_salts'),
      KAFKA_PARTITIONS: '2',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...CLIENT,
    });
    await waitHealthy(collector, `${url}/readyz`);
  });

  afterAll(async () => {
    await collector?.stop();
    await stopKafka(kafka);
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 while Kafka is down, recovers alone, and loses no event it accepted', async () => {
    const sent: Sent[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const eventId = randomUUID();
        const at = Date.now();
        let status = 0;
        let retryAfter: string | null = null;
        try {
          const res = await fetch(`${url}/api/event`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
            body: JSON.stringify({ site: 'down.example', name: 'pageview', url: 'https://down.example/', eventId }),
          });
          status = res.status;
          retryAfter = res.headers.get('retry-after');
          await res.arrayBuffer();
        } catch {
          status = -1; // the collector did not answer: counted, and asserted absent below
        }
        sent.push({ eventId, status, retryAfter, at });
        await new Promise((r) => setTimeout(r, status === 202 ? 5 : 50));
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    const count = (status: number, after = 0) => sent.filter((s) => s.status === status && s.at >= after).length;
    const readyz = async () => (await fetch(`${url}/readyz`)).status;

    // 1. Kafka up: accepted.
    await waitFor(
      async () => count(202),
      (n) => n >= 40,
      30_000,
    );
    expect(count(202)).toBeGreaterThanOrEqual(40);

    // 2. Kafka down: 503 with Retry-After, /readyz 503, the process alive.
    await stopKafka(kafka);
    const downAt = Date.now();
    await waitFor(
      async () => count(503, downAt),
      (n) => n >= 10,
      60_000,
    );
    expect(count(503, downAt)).toBeGreaterThanOrEqual(10);
    expect(sent.filter((s) => s.status === 503).every((s) => Number(s.retryAfter) > 0)).toBe(true);
    expect(await waitFor(readyz, (s) => s === 503, 20_000)).toBe(503);
    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // 3. Kafka back: the collector resumes by itself.
    await startKafka(kafka);
    const upAt = Date.now();
    await waitFor(
      async () => count(202, upAt),
      (n) => n >= 40,
      90_000,
    );
    expect(count(202, upAt)).toBeGreaterThanOrEqual(40);
    expect(await waitFor(readyz, (s) => s === 200, 20_000)).toBe(200);
    running = false;
    await Promise.all(workers);

    // 4. Every event answered 202 is on the topic.
    expect(sent.filter((s) => s.status === -1 || s.status >= 500).every((s) => s.status === 503 || s.status === 504)).toBe(true);
    const accepted = new Set(sent.filter((s) => s.status === 202).map((s) => s.eventId));
    const onTopic = new Set<string>();
    const config = loadConfig({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: uniqueName('down_reader'),
      KAFKA_DLQ_TOPIC: uniqueName('down_dlq'),
      ...CLIENT,
    });
    const consumer = await createKafkaQueueConsumer(config.kafka, plainLogger('error'), { maxRows: 5000, intervalMs: 100 });
    void consumer.run(async (batch) => {
      for (const m of batch.messages) for (const e of decodeMessage(m)) onTopic.add(e.event_id);
    });
    const refused = sent.filter((s) => s.status === 503).map((s) => s.eventId);
    const missing = () => [...accepted].filter((id) => !onTopic.has(id));
    await waitFor(
      async () => missing().length,
      (n) => n === 0,
      60_000,
    );
    await consumer.close();
    expect(missing()).toEqual([]);
    expect(refused.filter((id) => onTopic.has(id))).toEqual([]); // a 503 means "not written"
    expect(collector.child.exitCode).toBeNull();
    console.log(
      `kafka-down: ${accepted.size} accepted (all on the topic), ${count(503)} answered 503 (none on it), ${count(504)} 504, ${onTopic.size} messages on the topic`,
    );
  });

  it('stops gracefully on SIGTERM', async () => {
    // SIGKILL only after a minute: a loaded machine makes the graceful stop slower (once > 15 s at
    // load 20 in a run of the integration tests), a hang still fails. How long it took is printed.
    const started = Date.now();
    const code = await collector.stop(60_000);
    console.log(`kafka-down: the collector stopped (exit ${code}) ${Date.now() - started} ms after SIGTERM`);
    // A stop that needed SIGKILL (exit code null) shows what the collector was doing.
    if (code !== 0) console.log(collector.output().slice(-6_000));
    expect(code).toBe(0);
  });
});
