/**
 * The partitions of one leader sent together: while a request to a broker is out, the
 * attempts for the partitions it leads wait, then leave as one request. The lanes above
 * (`kafka-producer.ts`) still send one batch at a time per partition, so each partition's
 * order holds; what changes is how many requests carry them.
 *
 * Why: kafkajs's idempotent producer holds one produce request per broker at a time (its
 * broker lock), so sends of several partitions side by side queued behind each other, each a
 * small request of its own. With six partitions on one broker that was six requests where one
 * would do, and each request costs the collector and the broker the same whatever its size:
 * the collector served many visitors (events over every partition) at a third of the rate of
 * one visitor (every event on one partition). See docs/kafka-client.md (Speed).
 *
 * Which broker leads a partition is the caller's latest knowledge (`leaderOf`); when it is
 * stale, the client splits the request by the leaders it knows, and a failure of several
 * partitions is judged as such (`sendFailure`), so nothing is wrongly given up.
 */
import type { WireMessage } from '../wire/message.ts';
import type { RawProducer } from './kafka.ts';

interface Attempt {
  partition: number;
  messages: WireMessage[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface LeaderQueue {
  waiting: Attempt[];
  sending: boolean;
}

export interface LeaderBatcher {
  /** One attempt at one partition's messages, in the next request to its leader; settles as that request does. */
  send(raw: RawProducer, partition: number, messages: WireMessage[]): Promise<void>;
}

export function createLeaderBatcher(topic: string, leaderOf: (partition: number) => number): LeaderBatcher {
  // Per producer (a replaced producer's attempts never join another's request), per leader.
  const queues = new Map<RawProducer, Map<number, LeaderQueue>>();

  const flush = (raw: RawProducer, leader: number, queue: LeaderQueue) => {
    if (queue.sending) return;
    const attempts = queue.waiting.splice(0);
    if (attempts.length === 0) {
      const byLeader = queues.get(raw);
      if (byLeader?.get(leader) === queue) byLeader.delete(leader);
      if (byLeader?.size === 0) queues.delete(raw);
      return;
    }
    queue.sending = true;
    raw
      .send(
        topic,
        attempts.map(({ partition, messages }) => ({ partition, messages })),
      )
      .then(
        () => {
          for (const attempt of attempts) attempt.resolve();
        },
        (error: unknown) => {
          for (const attempt of attempts) attempt.reject(error);
        },
      )
      .finally(() => {
        queue.sending = false;
        flush(raw, leader, queue);
      });
  };

  return {
    send(raw, partition, messages) {
      const leader = leaderOf(partition);
      const byLeader = queues.get(raw) ?? new Map<number, LeaderQueue>();
      queues.set(raw, byLeader);
      const target = byLeader.get(leader) ?? { waiting: [], sending: false };
      byLeader.set(leader, target);
      return new Promise<void>((resolve, reject) => {
        target.waiting.push({ partition, messages, resolve, reject });
        // The lanes that start a send in this turn of the event loop join the request.
        if (!target.sending && target.waiting.length === 1) setImmediate(() => flush(raw, leader, target));
      });
    },
  };
}
