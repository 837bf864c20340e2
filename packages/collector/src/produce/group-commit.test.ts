import { NIL_UUID, type QueueProducer, QueueUnavailableError, type StoredEvent } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

const event = (n: number) => ({ event_id: NIL_UUID, site: `s${n}.com` }) as StoredEvent;

/** A queue whose sends are settled by the test, one by one. */
function manualQueue() {
  const sends: { events: StoredEvent[]; ack: () => void; fail: (e: Error) => void }[] = [];
  let ready = true;
  const producer: QueueProducer = {
    send: (events) => new Promise<void>((ack, fail) => sends.push({ events: [...events], ack, fail })),
    ready: async () => ready,
    close: async () => {},
  };
  return { producer, sends, setReady: (r: boolean) => (ready = r) };
}

const tick = () => new Promise((r) => setImmediate(r));
async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('group commit', () => {
  it('shares one send among concurrent requests and answers each only after the ack', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { maxInFlight: 1 });
    let answered = 0;
    const requests = [1, 2, 3].map((n) => gc.send([event(n), event(n)]).then(() => answered++));
    await tick();
    expect(q.sends).toHaveLength(1);
    expect(q.sends[0]?.events).toHaveLength(6);
    expect(answered).toBe(0);
    // while the send is in flight, later requests gather into the next batch
    const later = [4, 5].map((n) => gc.send([event(n)]));
    await tick();
    expect(q.sends).toHaveLength(1);
    q.sends[0]?.ack();
    await Promise.all(requests);
    expect(answered).toBe(3);
    await until(() => q.sends.length === 2);
    expect(q.sends[1]?.events.map((e) => e.site)).toEqual(['s4.com', 's5.com']);
    q.sends[1]?.ack();
    await Promise.all(later);
    expect(gc.backlog()).toBe(0);
  });

  it('splits batches at maxBatchEvents', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { maxInFlight: 4, maxBatchEvents: 3 });
    const all = [1, 2, 3, 4, 5].map((n) => gc.send([event(n), event(n)]));
    await tick();
    expect(q.sends.map((s) => s.events.length)).toEqual([2, 2, 2, 2, 2].slice(0, q.sends.length));
    for (const s of q.sends) s.ack();
    await until(() => q.sends.length === 5);
    for (const s of q.sends) s.ack();
    await Promise.all(all);
  });

  it('refuses every request of a failed send, opens the circuit, and closes it once the queue is ready', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { probeIntervalMs: 10 });
    const a = gc.send([event(1)]);
    const b = gc.send([event(2)]);
    await tick();
    q.setReady(false);
    q.sends[0]?.fail(new Error('KafkaJSConnectionError: broker down'));
    await expect(a).rejects.toThrow(QueueUnavailableError);
    await expect(b).rejects.toThrow(QueueUnavailableError);
    expect(gc.healthy()).toBe(false);
    expect(await gc.ready()).toBe(false);
    await expect(gc.send([event(3)])).rejects.toThrow('queue unavailable'); // fast, no send
    expect(q.sends).toHaveLength(1);
    q.setReady(true);
    await until(() => gc.healthy());
    const c = gc.send([event(4)]);
    await until(() => q.sends.length === 2);
    q.sends[1]?.ack();
    await c;
    expect(await gc.ready()).toBe(true);
  });

  it('bounds the backlog: past it, requests are refused at once', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { maxBacklogEvents: 5, maxInFlight: 1 });
    const first = gc.send([event(1), event(1), event(1)]);
    await expect(gc.send([event(2), event(2), event(2)])).rejects.toThrow('backlog full');
    expect(gc.backlog()).toBe(3);
    expect(await gc.ready()).toBe(true);
    await tick();
    q.sends[0]?.ack();
    await first;
    expect(gc.backlog()).toBe(0);
  });

  it('answers 503 after the timeout when a send hangs, and keeps the slot until it settles', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { timeoutMs: 20, maxInFlight: 1 });
    await expect(gc.send([event(1)])).rejects.toThrow('timed out');
    expect(gc.backlog()).toBe(1); // still held by the hanging send
    q.sends[0]?.ack();
    await until(() => gc.backlog() === 0);
  });

  it('sends what is waiting before it closes, and refuses new events', async () => {
    const q = manualQueue();
    let closed = false;
    q.producer.close = async () => {
      closed = true;
    };
    const gc = createGroupCommit(q.producer, { maxInFlight: 1 });
    const pending = gc.send([event(1)]);
    const closing = gc.close();
    await expect(gc.send([event(2)])).rejects.toThrow('stopping');
    await until(() => q.sends.length === 1);
    expect(closed).toBe(false);
    q.sends[0]?.ack();
    await pending;
    await closing;
    expect(closed).toBe(true);
  });

  it('stops waiting for a send that hangs past closeTimeoutMs, and says how much was not sent', async () => {
    const q = manualQueue();
    const gc = createGroupCommit(q.producer, { timeoutMs: 10, closeTimeoutMs: 50, maxInFlight: 1 });
    await expect(gc.send([event(1), event(2)])).rejects.toThrow('timed out'); // answered 503, not 202
    await expect(gc.close()).rejects.toThrow('2 events still unsent');
  });
});
