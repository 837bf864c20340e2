/**
 * Kafka cluster failover (issue 24), on a PRIVATE 3-node KRaft cluster (its own ports and
 * data directory; replication 3, min.insync.replicas 2), with the collector and ingester as
 * their own OS processes and the shared ClickHouse server. While browsers send events
 * without ever retrying, each kind of broker is killed with SIGKILL in turn — one leading
 * partitions of the topic, the ingester group's coordinator, the active KRaft controller —
 * and restarted once its partitions moved. One cluster serves the three kills (each node
 * is back in every in-sync replica set before the next kill; the last one stays down, as two
 * nodes still take writes). Asserted:
 * - no 503 (nor any other refusal): the collector's backlog always had room;
 * - every event answered 202 is stored exactly once, and nothing answered otherwise is stored;
 * - the ingester stores every event answered 202 before the broker was fenced within 15 s of the fencing.
 * The figures (seconds of refusals, the ingester's longest pause) are printed for the bench.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClickHouse, loadConfig } from '@tidemark/shared';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeController, type KafkaNodePorts, kafkaNodePid, killKafkaNode, startKafka, stopKafka } from '../services/index.ts';
import { fetchMetadata, findGroupCoordinator } from '../services/kafka-metadata.ts';
import { DESKTOP_UA, ROOT, uniqueName, waitFor } from './harness.ts';
import { CLIENT, ingesterEnv, metric, uniqueTopics } from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const clickhouseUrl = inject('clickhouseUrl');
const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: clickhouseUrl }).clickhouse);
const SITE = 'failover.example';
const PARTITIONS = 6;
/** The bound: the ingester stores again within this long of the dead broker being fenced. */
const RESUME_MS = 15_000;

interface Sent {
  eventId: string;
  status: number;
  at: number;
  answeredAt: number;
}

interface Failover {
  kind: string;
  node: number;
  killedAt: number;
  fencedAt: number;
  /** From fencing until every event answered 202 before it was in ClickHouse. */
  caughtUpMs: number;
}

describe('Kafka cluster failover', () => {
  const root = join(ROOT, '.tmp', uniqueName('kafka_cluster'));
  const t = uniqueTopics('failover');
  let cluster: KafkaNodePorts[] = [];
  let opts: { root: string; kafkaCluster: KafkaNodePorts[]; log: (msg: string) => void };
  let brokers = '';
  let url = '';
  let metricsUrl = '';
  const services: Service[] = [];
  let admin: ReturnType<Kafka['admin']>;

  beforeAll(async () => {
    cluster = [];
    for (let i = 0; i < 3; i++) cluster.push({ port: await freePort(), controllerPort: await freePort() });
    opts = { root, kafkaCluster: cluster, log: () => {} };
    brokers = (await startKafka(opts)).brokers;
    // Each poll fails fast while a broker is down (kafkajs's default retries would hide seconds in one poll).
    admin = new Kafka({
      clientId: 'failover-test',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 2_000,
      retry: { retries: 1, initialRetryTime: 100 },
    }).admin();
    await admin.connect();

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const collector = startService('collector', {
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(port),
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: t.topic,
      KAFKA_SALTS_TOPIC: uniqueName('failover_salts'),
      KAFKA_PARTITIONS: String(PARTITIONS),
      RATE_LIMIT_PER_MINUTE: '0',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'error',
      ...CLIENT,
    });
    services.push(collector);
    await waitHealthy(collector, `${url}/readyz`, 120_000);
    const ingesterPort = await freePort();
    const ingester = startService(
      'ingester',
      ingesterEnv(brokers, clickhouseUrl, t, { INGESTER_PORT: String(ingesterPort), LOG_LEVEL: process.env.FAILOVER_LOG ?? 'error' }),
    );
    services.push(ingester);
    await waitHealthy(ingester, `http://127.0.0.1:${ingesterPort}/healthz`, 120_000);
    metricsUrl = `http://127.0.0.1:${ingesterPort}/metrics`;
  }, 300_000);

  afterAll(async () => {
    // FAILOVER_LOG=info (a log level): the collector's and ingester's logs, for the timeline of each failover.
    if (process.env.FAILOVER_LOG) for (const s of services) writeFileSync(join(ROOT, '.tmp', `kafka-failover-${s.name}.log`), s.output());
    await Promise.all(services.map((s) => s.stop()));
    await admin?.disconnect().catch(() => {});
    // A throwaway cluster: kill -9 rather than each node's controlled shutdown (seconds each).
    for (let id = 1; id <= cluster.length; id++) if (await kafkaNodePid(opts, id)) await killKafkaNode(opts, id);
    await stopKafka(opts);
    rmSync(root, { recursive: true, force: true });
    await client.command({ query: `DROP DATABASE IF EXISTS ${t.database}` });
    await client.close();
  }, 120_000);

  /** The cluster's metadata from the first live node that answers. */
  async function metadata(topics: string[] = []) {
    for (const n of cluster) {
      try {
        return await fetchMetadata('127.0.0.1', n.port, topics, 1_000);
      } catch {
        // that node is down: ask the next
      }
    }
    throw new Error('no Kafka node answers');
  }

  /** Each partition's committed offset of the ingester's group (retried while the coordinator moves). */
  async function committed(): Promise<Map<number, bigint>> {
    const [offsets] = await admin.fetchOffsets({ groupId: t.groupId, topics: [t.topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  }

  async function storedIds(): Promise<Set<string>> {
    const rows = await client.query({ query: `SELECT event_id FROM ${t.database}.events`, format: 'JSONEachRow' });
    return new Set((await rows.json<{ event_id: string }>()).map((r) => r.event_id));
  }

  async function highWatermarks(): Promise<Map<number, bigint>> {
    return new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, BigInt(p.high)]));
  }

  /** Resolves once the ingester committed at least `targets` on every partition. */
  function caughtUp(targets: Map<number, bigint>, timeoutMs: number) {
    return waitFor(
      () => committed().catch(() => new Map<number, bigint>()),
      (done) => [...targets].every(([p, high]) => (done.get(p) ?? -1n) >= high),
      timeoutMs,
      200,
    );
  }

  /** Every node back in the in-sync replicas of the topic's partitions and of the group offsets. */
  async function fullyReplicated(timeoutMs = 90_000) {
    await waitFor(
      () => metadata([t.topic, '__consumer_offsets']).catch(() => null),
      (m) =>
        m !== null &&
        m.brokers.length === 3 &&
        [...m.topics.values()].every((parts) => parts.length > 0 && parts.every((p) => p.leader >= 0 && p.isr.length === 3)),
      timeoutMs,
      500,
    );
  }

  it('survives kill -9 of a partition leader, the group coordinator and the active controller', async () => {
    // Browsers that never retry: each request one event of a visitor of its own address.
    const sent: Sent[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const eventId = randomUUID();
        const at = Date.now();
        let status = -1;
        try {
          const res = await fetch(`${url}/api/event`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA, 'X-Forwarded-For': `10.${w}.${(i >> 8) & 255}.${i & 255}` },
            body: JSON.stringify({ site: SITE, name: 'pageview', url: `https://${SITE}/`, eventId }),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          // no answer: counted as -1, and asserted absent below
        }
        sent.push({ eventId, status, at, answeredAt: Date.now() });
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const workers = Array.from({ length: 4 }, (_, w) => worker(w));

    // The ingester's inserts, sampled: its longest pause around each failover is a bench figure.
    const inserts: { at: number; rows: number }[] = [];
    const sampler = setInterval(() => {
      void metric(metricsUrl, 'tidemark_ingester_rows_inserted_total').then((rows) => inserts.push({ at: Date.now(), rows }));
    }, 250);

    const failovers: Failover[] = [];
    const failover = async (kind: string, pick: () => Promise<number>, { restart = true } = {}) => {
      await waitFor(
        async () => sent.filter((s) => s.status === 202).length,
        (n) => n > 0,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 3_000)); // mid-stream
      const node = await pick();
      await killKafkaNode(opts, node);
      const killedAt = Date.now();
      // Fenced: the cluster no longer lists it as a live broker (≈ 9 s, the broker session timeout).
      await waitFor(
        () => metadata().catch(() => null),
        (m) => m !== null && !m.brokers.some((b) => b.nodeId === node),
        60_000,
        200,
      );
      const fencedAt = Date.now();
      // Caught up: every event answered 202 by then is in ClickHouse (read there, so no poll waits on Kafka).
      const accepted = sent.filter((s) => s.status === 202 && s.answeredAt <= fencedAt).map((s) => s.eventId);
      await waitFor(
        () => storedIds().catch(() => new Set<string>()),
        (ids) => accepted.every((id) => ids.has(id)),
        4 * RESUME_MS, // measured beyond the bound, asserted below
        200,
      );
      failovers.push({ kind, node, killedAt, fencedAt, caughtUpMs: Date.now() - fencedAt });
      if (!restart) return; // the last kill: two nodes still take writes (min.insync.replicas 2)
      await startKafka(opts); // restarts just the killed node
      await fullyReplicated();
    };

    const coordinator = async () => {
      const m = await metadata();
      for (const b of m.brokers) {
        try {
          return await findGroupCoordinator(b.host, b.port, t.groupId);
        } catch {
          // not this one: ask another
        }
      }
      throw new Error('no group coordinator found');
    };

    await fullyReplicated();
    // 1. A node leading partitions of the topic that is neither the coordinator nor (if possible) the controller.
    await failover('partition leader', async () => {
      const [m, coord, controller] = await Promise.all([metadata([t.topic]), coordinator(), activeController(opts)]);
      const leaders = [...new Set((m.topics.get(t.topic) ?? []).map((p) => p.leader))].filter((n) => n !== coord);
      const node = leaders.find((n) => n !== controller) ?? leaders[0];
      if (node === undefined) throw new Error('no leader apart from the coordinator');
      return node;
    });
    // 2. The ingester group's coordinator.
    await failover('group coordinator', coordinator);
    // 3. The active KRaft controller.
    await failover(
      'active controller',
      async () => {
        const controller = await activeController(opts);
        if (controller === undefined) throw new Error('no active controller known');
        return controller;
      },
      { restart: false },
    );

    running = false;
    await Promise.all(workers);
    clearInterval(sampler);

    // Everything stored: the ingester committed all that was produced.
    await caughtUp(await highWatermarks(), 60_000);
    const rows = await client.query({
      query: `SELECT event_id, count() AS n FROM ${t.database}.events WHERE site = {site:String} GROUP BY event_id`,
      query_params: { site: SITE },
      format: 'JSONEachRow',
    });
    const stored = new Map((await rows.json<{ event_id: string; n: string }>()).map((r) => [r.event_id, Number(r.n)]));
    const accepted = sent.filter((s) => s.status === 202);
    const refused = sent.filter((s) => s.status !== 202);

    for (const f of failovers) {
      const around = inserts.filter((s) => s.at >= f.killedAt - 1_000 && s.at <= f.fencedAt + f.caughtUpMs);
      let longest = 0;
      let since = around[0]?.at ?? f.killedAt;
      for (let i = 1; i < around.length; i++) {
        const s = around[i] as { at: number; rows: number };
        if (s.rows > (around[i - 1] as { rows: number }).rows) {
          longest = Math.max(longest, s.at - since);
          since = s.at;
        }
      }
      const refusedIn = refused.filter((s) => s.at >= f.killedAt && s.at <= f.fencedAt + f.caughtUpMs);
      const refusedSeconds = refusedIn.length === 0 ? 0 : ((refusedIn.at(-1)?.at ?? 0) - (refusedIn[0]?.at ?? 0)) / 1000;
      console.log(
        `failover ${f.kind} (node ${f.node}): fenced ${((f.fencedAt - f.killedAt) / 1000).toFixed(1)} s after the kill; ` +
          `ingester caught up ${(f.caughtUpMs / 1000).toFixed(1)} s after fencing, longest pause between inserts ${(longest / 1000).toFixed(1)} s; ` +
          `${refusedIn.length} requests not answered 202 over ${refusedSeconds.toFixed(1)} s`,
      );
    }
    console.log(
      `failover: ${sent.length} sent, ${accepted.length} answered 202, ${refused.length} otherwise (${[...new Set(refused.map((s) => s.status))].join(', ')})`,
    );

    if (failovers.some((f) => f.caughtUpMs >= RESUME_MS)) console.log(services[1]?.output().slice(-5_000));
    expect(refused.map((s) => s.status)).toEqual([]);
    expect(accepted.filter((s) => stored.get(s.eventId) !== 1)).toEqual([]);
    expect(refused.filter((s) => stored.has(s.eventId))).toEqual([]);
    expect(stored.size).toBe(accepted.length);
    expect(failovers.map((f) => f.kind)).toEqual(['partition leader', 'group coordinator', 'active controller']);
    for (const f of failovers) expect(f.caughtUpMs).toBeLessThan(RESUME_MS);
  }, 600_000);
});
