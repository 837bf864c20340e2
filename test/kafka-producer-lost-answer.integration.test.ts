/**
 * A send whose answer never came, although the broker wrote it, must not make the next
 * send vanish. kafkajs rolls the sequence numbers of a failed send back; reused for the
 * next batch of the same size, the broker takes that batch for a retry of the written one
 * and acknowledges it without storing it. Provoked here by freezing a private broker
 * (SIGSTOP) while a send is in flight, so the request is read and written only after the
 * client gave up on it. The producer's answer (`kafka-producer.ts`): a send that may have
 * been written is neither given up nor answered — its lane sends the same messages until
 * the broker acknowledges them — so it can never be answered 503 and stored.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaQueueConsumer, createKafkaQueueProducer, decodeMessage, loadConfig, plainLogger, storedEvent } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, stopKafka } from '../services/index.ts';
import { ROOT, uniqueName, waitFor } from './harness.ts';
import { CLIENT } from './ingester-support.ts';
import { freePort } from './processes.ts';

describe('Kafka producer after a send whose answer was lost', () => {
  const root = join(ROOT, '.tmp', uniqueName('kafka_frozen'));
  let kafka: { root: string; kafkaPort: number; kafkaControllerPort: number };
  let brokers = '';
  let pid = 0;
  let frozen = false;

  beforeAll(async () => {
    kafka = { root, kafkaPort: await freePort(), kafkaControllerPort: await freePort() };
    brokers = (await startKafka(kafka)).brokers;
    pid = Number(readFileSync(join(root, '.services', 'kafka', 'kafka.pid'), 'utf8'));
  });

  afterAll(async () => {
    if (frozen) process.kill(pid, 'SIGCONT');
    await stopKafka(kafka);
    rmSync(root, { recursive: true, force: true });
  });

  it('stores the next send instead of acknowledging it as a duplicate', async () => {
    const config = loadConfig({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: uniqueName('frozen_events'),
      KAFKA_PARTITIONS: '1',
      KAFKA_GROUP_ID: uniqueName('frozen_reader'),
      KAFKA_DLQ_TOPIC: uniqueName('frozen_dlq'),
      ...CLIENT,
    });
    const log = plainLogger('error');
    const producer = await createKafkaQueueProducer(config.kafka, log, { requestTimeoutMs: 1500, retries: 1 });
    const event = () => storedEvent({ event_id: randomUUID(), site: 'frozen.example', visitor_id: '7' });
    const first = event();
    await producer.send([first]);

    const lanes = producer.lanes;
    if (!lanes) throw new Error('the Kafka producer has lanes');
    process.kill(pid, 'SIGSTOP');
    frozen = true;
    const lost = event();
    let outcome = 'pending';
    // Asked to give up after 200 ms: it may not, once an attempt may have been written.
    const lostSent = lanes.send(lanes.of(lost), [lost], AbortSignal.timeout(200)).then(
      () => (outcome = 'acknowledged'),
      (error: Error) => (outcome = error.name),
    );
    await new Promise((r) => setTimeout(r, 5_000)); // attempts time out (1.5 s each) and are sent again
    expect(outcome).toBe('pending');
    process.kill(pid, 'SIGCONT');
    frozen = false;
    await lostSent;
    expect(outcome).toBe('acknowledged');

    const next = event(); // same size as the lost-answer send: the case the broker would drop
    await producer.send([next]);
    await producer.close();

    const onTopic = new Set<string>();
    const consumer = await createKafkaQueueConsumer(config.kafka, log, { maxRows: 100, intervalMs: 100 });
    void consumer.run(async (batch) => {
      for (const m of batch.messages) for (const e of decodeMessage(m)) onTopic.add(e.event_id);
    });
    await waitFor(
      async () => onTopic.has(next.event_id) && onTopic.has(first.event_id) && onTopic.has(lost.event_id),
      (found) => found,
      20_000,
    ).catch(() => {});
    await consumer.close();
    expect(onTopic.has(first.event_id)).toBe(true);
    expect(onTopic.has(next.event_id)).toBe(true);
    expect(onTopic.has(lost.event_id)).toBe(true);
  });
});
