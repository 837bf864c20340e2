import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type KafkaTopics, NOT_SENT, type PartitionState, sendFailure, type TopicSpec } from './kafka.ts';
import { ensureReplicatedTopics, replicationOf } from './replication.ts';

const unset = { replicationFactor: null, minInsyncReplicas: null };

describe('replication of the topics Tidemark creates', () => {
  it('defaults to 3 replicas with 2 in sync on 3 brokers or more, else 1', () => {
    expect(replicationOf(unset, 3)).toEqual({ factor: 3, minInsync: 2 });
    expect(replicationOf(unset, 5)).toEqual({ factor: 3, minInsync: 2 });
    expect(replicationOf(unset, 2)).toEqual({ factor: 1, minInsync: 1 });
    expect(replicationOf(unset, 1)).toEqual({ factor: 1, minInsync: 1 });
    expect(replicationOf({ replicationFactor: 2, minInsyncReplicas: null }, 3)).toEqual({ factor: 2, minInsync: 1 });
    expect(replicationOf({ replicationFactor: 5, minInsyncReplicas: 3 }, 5)).toEqual({ factor: 5, minInsync: 3 });
  });

  it('refuses a min.insync.replicas above the replication factor', () => {
    expect(() => replicationOf({ replicationFactor: 1, minInsyncReplicas: 2 }, 3)).toThrow(/KAFKA_MIN_INSYNC_REPLICAS=2/);
  });

  /** Topics of a fake cluster: `existing` has its replicas and settings; `ensure` records what it was asked. */
  function fakeTopics(brokers: number, existing: Record<string, { replicas: number; minInsync: string }>) {
    const asked: TopicSpec[] = [];
    const layout = (topic: string): PartitionState[] => {
      const t = existing[topic];
      if (!t) return [];
      const replicas = Array.from({ length: t.replicas }, (_, i) => i + 1);
      return [{ partition: 0, leader: 1, replicas, isr: replicas }];
    };
    const topics = {
      ensure: async (specs: TopicSpec[]) => {
        for (const spec of specs) {
          if (existing[spec.topic]) continue;
          asked.push(spec);
          existing[spec.topic] = { replicas: spec.replicationFactor ?? 1, minInsync: spec.config?.['min.insync.replicas'] ?? '1' };
        }
      },
      brokers: async () => brokers,
      layout: async (topic: string) => layout(topic),
      settings: async (topic: string) => ({ 'min.insync.replicas': existing[topic]?.minInsync ?? '1' }),
    } as unknown as KafkaTopics;
    return { topics, asked };
  }

  it('creates missing topics replicated, and reports existing ones that differ without changing them', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const { topics, asked } = fakeTopics(3, { old: { replicas: 1, minInsync: '1' }, good: { replicas: 3, minInsync: '2' } });
    const mismatches = await ensureReplicatedTopics(
      topics,
      ['old', 'good', 'new'].map((topic) => ({ topic, partitions: 6 })),
      unset,
      log,
    );
    expect(asked).toEqual([{ topic: 'new', partitions: 6, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }]);
    expect(mismatches).toEqual([
      { topic: 'old', replicationFactor: 1, expectedReplicationFactor: 3, minInsyncReplicas: 1, expectedMinInsyncReplicas: 2 },
    ]);
    expect(lines.some((l) => l.includes('kafka_topic_replication_mismatch'))).toBe(true);
  });

  it('warns at start-up when a small cluster makes unreplicated topics', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const { topics, asked } = fakeTopics(1, {});
    expect(await ensureReplicatedTopics(topics, [{ topic: 'x', partitions: 1 }], unset, log)).toEqual([]);
    expect(asked[0]?.replicationFactor).toBe(1);
    expect(lines.some((l) => l.includes('kafka_topics_unreplicated'))).toBe(true);
  });
});

describe('what a failed send means', () => {
  it('is "not written" only when every answer was a refusal', () => {
    expect(sendFailure(new Error('x'), ['NOT_LEADER_OR_FOLLOWER']).written).toBe('no');
    expect(sendFailure(new Error('x'), [NOT_SENT]).written).toBe('no');
    expect(sendFailure(new Error('x'), ['NOT_ENOUGH_REPLICAS', null]).written).toBe('maybe');
    expect(sendFailure(new Error('timed out'), [null]).written).toBe('maybe');
    expect(sendFailure(new Error('x'), []).written).toBe('maybe');
    expect(sendFailure(new Error('x'), ['NOT_ENOUGH_REPLICAS_AFTER_APPEND']).written).toBe('maybe'); // appended, not replicated
  });

  it('asks for a new producer when the broker forgot this one, and gives up on refusals no retry changes', () => {
    const renew = sendFailure(new Error('x'), ['OUT_OF_ORDER_SEQUENCE_NUMBER']);
    expect([renew.written, renew.renew, renew.permanent]).toEqual(['no', true, false]);
    const tooLarge = sendFailure(new Error('x'), ['MESSAGE_TOO_LARGE']);
    expect([tooLarge.written, tooLarge.permanent]).toEqual(['no', true]);
  });
});
