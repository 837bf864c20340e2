import { describe, expect, it } from 'vitest';
import type { WireMessage } from '../wire/message.ts';
import { NOT_SENT, type PartitionBatch, type RawProducer, sendFailure } from './kafka.ts';
import { createLeaderBatcher } from './leader-batch.ts';

const message = (text: string): WireMessage => ({ value: Buffer.from(text), headers: {} });

/** A producer whose sends wait until `answer` is called, recording each send's partitions. */
function fakeProducer() {
  const sends: { batches: PartitionBatch[]; answer: (error?: Error) => void }[] = [];
  const raw: RawProducer = {
    send: (_topic, batches) =>
      new Promise<void>((resolve, reject) => {
        sends.push({ batches, answer: (error) => (error ? reject(error) : resolve()) });
      }),
    close: async () => {},
  };
  return { raw, sends };
}

const tick = () => new Promise((r) => setImmediate(r));
const partitionsOf = (batches: PartitionBatch[]) => batches.map((b) => b.partition).sort();

describe('leader batcher', () => {
  it('sends the partitions of one leader in one request, those of another leader in another', async () => {
    const leaders = [1, 1, 2, 1];
    const batcher = createLeaderBatcher('t', (p) => leaders[p] ?? -1);
    const { raw, sends } = fakeProducer();
    const done = [0, 1, 2, 3].map((p) => batcher.send(raw, p, [message(`p${p}`)]));
    await tick();
    expect(sends.map((s) => partitionsOf(s.batches))).toEqual([[0, 1, 3], [2]]);
    expect(sends[0]?.batches.find((b) => b.partition === 3)?.messages[0]?.value.toString()).toBe('p3');
    for (const s of sends) s.answer();
    await expect(Promise.all(done)).resolves.toBeDefined();
  });

  it('holds what arrives while its leader has a request out, then sends it together', async () => {
    const batcher = createLeaderBatcher('t', () => 1);
    const { raw, sends } = fakeProducer();
    const first = batcher.send(raw, 0, [message('a')]);
    await tick();
    expect(sends).toHaveLength(1);
    const later = [batcher.send(raw, 1, [message('b')]), batcher.send(raw, 2, [message('c')])];
    await tick();
    expect(sends).toHaveLength(1); // one request per leader at a time
    sends[0]?.answer();
    await first;
    await tick();
    expect(sends.map((s) => partitionsOf(s.batches))).toEqual([[0], [1, 2]]);
    sends[1]?.answer();
    await Promise.all(later);
  });

  it("rejects every attempt of a failed request with the request's error, and keeps sending after it", async () => {
    const batcher = createLeaderBatcher('t', () => 1);
    const { raw, sends } = fakeProducer();
    const attempts = [batcher.send(raw, 0, [message('a')]), batcher.send(raw, 1, [message('b')])];
    await tick();
    const failure = new Error('connection lost');
    sends[0]?.answer(failure);
    for (const attempt of attempts) await expect(attempt).rejects.toBe(failure);
    const next = batcher.send(raw, 0, [message('a')]);
    await tick();
    expect(sends).toHaveLength(2);
    sends[1]?.answer();
    await next;
  });

  it("never puts two producers' attempts in one request", async () => {
    const batcher = createLeaderBatcher('t', () => 1);
    const one = fakeProducer();
    const two = fakeProducer();
    const done = [batcher.send(one.raw, 0, [message('a')]), batcher.send(two.raw, 1, [message('b')])];
    await tick();
    expect(one.sends.map((s) => partitionsOf(s.batches))).toEqual([[0]]);
    expect(two.sends.map((s) => partitionsOf(s.batches))).toEqual([[1]]);
    one.sends[0]?.answer();
    two.sends[0]?.answer();
    await Promise.all(done);
  });
});

describe('sendFailure of several partitions', () => {
  it('is "not written" only when the request never reached a broker', () => {
    // One partition: a refusal means that partition was not appended.
    expect(sendFailure(new Error('x'), ['NOT_LEADER_OR_FOLLOWER']).written).toBe('no');
    // Several: the one code the client reports is one partition's; the others may have been appended.
    expect(sendFailure(new Error('x'), ['NOT_LEADER_OR_FOLLOWER'], 3).written).toBe('maybe');
    expect(sendFailure(new Error('x'), ['MESSAGE_TOO_LARGE'], 3)).toMatchObject({ written: 'maybe', permanent: false });
    expect(sendFailure(new Error('x'), ['UNKNOWN_PRODUCER_ID'], 3)).toMatchObject({ written: 'maybe', renew: true });
    expect(sendFailure(new Error('x'), [NOT_SENT], 3).written).toBe('no');
    expect(sendFailure(new Error('x'), [null], 3).written).toBe('maybe');
  });
});
