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
 * - the ingester stores every event answered 202 before the broker was fenced (polled with a
 *   generous deadline: this is a shared, often loaded machine).
 * How fast — the seconds from fencing until the ingester caught up (the issue's target: < 15 s),
 * of refusals, the ingester's longest pause — is printed, not asserted: `pnpm bench --only
 * kafka-cluster` runs this test and reports those figures. A wait that runs out fails with what it
 * last saw, and a failed run prints the tails of the collector's and the ingester's logs.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClickHouse, loadConfig } from '@tidemark/shared';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeController, type KafkaNodePorts, kafkaNodePid, killKafkaNode, startKafka, stopKafka } from '../services/index.ts';
import { fetchMetadata, findGroupCoordinator } from '../services/kafka-metadata.ts';
import { DESKTOP_UA, ROOT, uniqueName, waitUntil } from './harness.ts';
import { CLIENT, ingesterEnv, metric, uniqueTopics } from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const clickhouseUrl = inject('clickhouseUrl');
const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: clickhouseUrl }).clickhouse);
const SITE = 'failover.example';
const PARTITIONS = 6;
/** The issue's target (a bench figure, not asserted): the ingester stores again within this long of the dead broker being fenced. */
const RESUME_TARGET_MS = 15_000;
/**
 * Deadlines of the polls: far beyond what an idle machine needs (fencing ≈ 9 s, catching up a few
 * seconds, a node back in sync ≈ 20 s), so a machine at load 40 only makes the test slower.
 */
const FENCED_WITHIN_MS = 120_000;
const CAUGHT_UP_WITHIN_MS = 180_000;
const IN_SYNC_WITHIN_MS = 240_000;
/** A broker's answer to one metadata request (a node under load answers slowly; a dead one refuses at once). */
const METADATA_TIMEOUT_MS = 5_000;

/** The answers' statuses and how many of each: `202 ×1200, 503 ×3`. */
function statuses(sent: { status: number }[]): string {
  const counts = new Map<number, number>();
  for (const s of sent) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ×${n}`).join(', ') || 'none';
}

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
      // Its warnings say why a request was refused (queue_unavailable, kafka_send_retry): printed if the test fails.
      LOG_LEVEL: 'warn',
      ...CLIENT,
    });
    services.push(collector);
    await waitHealthy(collector, `${url}/readyz`, 120_000);
    const ingesterPort = await freePort();
    const ingester = startService(
      'ingester',
      ingesterEnv(brokers, clickhouseUrl, t, { INGESTER_PORT: String(ingesterPort), LOG_LEVEL: process.env.FAILOVER_LOG ?? 'warn' }),
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
        return await fetchMetadata('127.0.0.1', n.port, topics, METADATA_TIMEOUT_MS);
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

  /** `read`'s value once it answers: a call that throws (a node down, a slow answer) is tried again until the deadline. */
  async function answered<T>(what: string, read: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const last = await waitUntil(
      what,
      () =>
        read().then(
          (value) => ({ value }),
          (error: unknown) => ({ error: String(error) }),
        ),
      (r) => 'value' in r,
      { timeoutMs, everyMs: 500 },
    );
    return (last as { value: T }).value;
  }

  /** Resolves once the ingester committed at least `targets` on every partition. */
  function caughtUp(targets: Map<number, bigint>, timeoutMs: number) {
    return waitUntil(
      'the ingester committing every produced offset',
      () => committed().catch(() => new Map<number, bigint>()),
      (done) => [...targets].every(([p, high]) => (done.get(p) ?? -1n) >= high),
      {
        timeoutMs,
        show: (done) => [...targets].map(([p, high]) => `partition ${p}: committed ${done.get(p) ?? 'none'} of ${high}`).join('; '),
      },
    );
  }

  /** Every node back in the in-sync replicas of the topic's partitions and of the group offsets. */
  async function fullyReplicated(timeoutMs = IN_SYNC_WITHIN_MS) {
    await waitUntil(
      'every node live and in every in-sync replica set',
      () => metadata([t.topic, '__consumer_offsets']).catch((error: unknown) => String(error)),
      (m) =>
        typeof m !== 'string' &&
        m.brokers.length === 3 &&
        [...m.topics.values()].every((parts) => parts.length > 0 && parts.every((p) => p.leader >= 0 && p.isr.length === 3)),
      {
        timeoutMs,
        everyMs: 500,
        show: (m) => {
          if (typeof m === 'string') return m;
          const behind = [...m.topics].flatMap(([topic, parts]) =>
            parts.filter((p) => p.leader < 0 || p.isr.length < 3).map((p) => `${topic}/${p.partition} leader ${p.leader} isr [${p.isr}]`),
          );
          return `brokers [${m.brokers.map((b) => b.nodeId)}]; ${behind.length} partitions behind: ${behind.slice(0, 10).join(', ')}`;
        },
      },
    );
  }

  it('survives kill -9 of a partition leader, the group coordinator and the active controller', async ({ onTestFailed }) => {
    // What the services said, for a failure's reason (their own logs: see FAILOVER_LOG above).
    onTestFailed(async () => {
      for (const s of services) console.log(`--- the ${s.name}'s log, last 8 000 characters:\n${s.output().slice(-8_000)}`);
      // A silent ingester: exited (and how), or alive with its event loop answering or not.
      const { exitCode, signalCode } = services[1]?.child ?? {};
      const answers = await fetch(metricsUrl, { signal: AbortSignal.timeout(3_000) }).then(
        (r) => `answers (${r.status})`,
        (error: unknown) => `does not answer in 3 s (${String(error)})`,
      );
      console.log(
        `--- the ingester process: ${exitCode === null && signalCode === null ? 'running' : `exited (code ${exitCode}, signal ${signalCode})`}; its /metrics ${answers}`,
      );
    });
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
      // 0 is also what an unanswered read gives: skipped (only growth between samples counts).
      void metric(metricsUrl, 'tidemark_ingester_rows_inserted_total').then((rows) => {
        if (rows > 0) inserts.push({ at: Date.now(), rows });
      });
    }, 250);

    const failovers: Failover[] = [];
    const failover = async (kind: string, pick: () => Promise<number>, { restart = true } = {}) => {
      const before = sent.filter((s) => s.status === 202).length;
      await waitUntil(
        `events answered 202 before the ${kind} is killed`,
        async () => sent.filter((s) => s.status === 202).length,
        (n) => n > before,
        { timeoutMs: 120_000, show: (n) => `${n - before} new 202s; ${sent.length} sent, statuses ${statuses(sent)}` },
      );
      await new Promise((r) => setTimeout(r, 3_000)); // mid-stream
      const node = await answered(`the ${kind} to kill`, pick);
      await killKafkaNode(opts, node);
      const killedAt = Date.now();
      // Fenced: the cluster no longer lists it as a live broker (≈ 9 s, the broker session timeout).
      await waitUntil(
        `node ${node} (${kind}) fenced`,
        () => metadata().catch((error: unknown) => String(error)),
        (m) => typeof m !== 'string' && !m.brokers.some((b) => b.nodeId === node),
        { timeoutMs: FENCED_WITHIN_MS, show: (m) => (typeof m === 'string' ? m : `live brokers [${m.brokers.map((b) => b.nodeId)}]`) },
      );
      const fencedAt = Date.now();
      // Caught up: every event answered 202 by then is in ClickHouse (read there, so no poll waits on Kafka).
      const accepted = sent.filter((s) => s.status === 202 && s.answeredAt <= fencedAt).map((s) => s.eventId);
      await waitUntil(
        `the events answered 202 before node ${node} (${kind}) was fenced, stored`,
        () => storedIds().catch(() => new Set<string>()),
        (ids) => accepted.every((id) => ids.has(id)),
        {
          timeoutMs: CAUGHT_UP_WITHIN_MS,
          show: (ids) => {
            const missing = accepted.filter((id) => !ids.has(id));
            return `${missing.length} of ${accepted.length} not stored (${ids.size} stored in all), e.g. ${missing.slice(0, 3).join(', ')}`;
          },
        },
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
          return await findGroupCoordinator(b.host, b.port, t.groupId, METADATA_TIMEOUT_MS);
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
    await caughtUp(await answered("the topic's high watermarks", highWatermarks), CAUGHT_UP_WITHIN_MS);
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
      const refusedMs = refusedIn.length === 0 ? 0 : (refusedIn.at(-1)?.at ?? 0) - (refusedIn[0]?.at ?? 0);
      // One set of figures, as prose and as a JSON line for `pnpm bench --only kafka-cluster`.
      const s = (ms: number) => (ms / 1000).toFixed(1);
      const r = {
        kind: f.kind,
        fenced: s(f.fencedAt - f.killedAt),
        caughtUp: s(f.caughtUpMs),
        longestPause: s(longest),
        refused: refusedIn.length,
        refusedSeconds: s(refusedMs),
      };
      console.log(
        `failover ${r.kind} (node ${f.node}): fenced ${r.fenced} s after the kill; ` +
          `ingester caught up ${r.caughtUp} s after fencing (target < ${RESUME_TARGET_MS / 1000} s), longest pause between inserts ${r.longestPause} s; ` +
          `${r.refused} requests not answered 202 over ${r.refusedSeconds} s`,
      );
      console.log(`failover-figures ${JSON.stringify(r)}`);
    }
    console.log(`failover: ${sent.length} sent, ${accepted.length} answered 202, ${refused.length} otherwise (${statuses(refused)})`);
    if (failovers.some((f) => f.caughtUpMs >= RESUME_TARGET_MS)) console.log(services[1]?.output().slice(-5_000));

    /** A request as it is reported: its answer, and when it was sent relative to the kills. */
    const when = (s: Sent) => {
      const f = failovers.findLast((x) => x.killedAt <= s.at);
      const timing = f
        ? `sent ${((s.at - f.killedAt) / 1000).toFixed(1)} s after the kill of node ${f.node} (${f.kind}; fenced at ${((f.fencedAt - f.killedAt) / 1000).toFixed(1)} s)`
        : 'sent before the first kill';
      return `${s.status === -1 ? 'no answer' : s.status}, ${timing}, answered after ${((s.answeredAt - s.at) / 1000).toFixed(1)} s, stored ${stored.get(s.eventId) ?? 0}×`;
    };
    expect(refused.map(when)).toEqual([]);
    expect(accepted.filter((s) => stored.get(s.eventId) !== 1).map(when)).toEqual([]);
    expect(refused.filter((s) => stored.has(s.eventId)).map(when)).toEqual([]);
    expect(stored.size).toBe(accepted.length);
    expect(failovers.map((f) => f.kind)).toEqual(['partition leader', 'group coordinator', 'active controller']);
  }, 900_000);
});
