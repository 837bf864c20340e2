import {
  NIL_UUID,
  type QueueHealth,
  type QueueLanes,
  QueueOutcomeUnknownError,
  type QueueProducer,
  QueueUnavailableError,
  type StoredEvent,
} from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { createLaneCommit } from './lane-commit.ts';

/** An event of lane `lane` (the fake lanes read it from the site). */
const event = (lane: number) => ({ event_id: NIL_UUID, site: `${lane}` }) as StoredEvent;

interface Send {
  lane: number;
  events: StoredEvent[];
  signal: AbortSignal | undefined;
  ack: () => void;
  fail: (e: Error) => void;
}

/**
 * Two lanes whose sends the test settles. Like Kafka's lanes, a send that may have been
 * written ignores `signal`; one that was not written gives up when it aborts (`mayBeWritten`).
 */
function manualLanes(count = 2) {
  const sends: Send[] = [];
  const mayBeWritten = new Set<number>();
  let health: QueueHealth = { reachable: true, unavailable: [] };
  const lanes: QueueLanes = {
    count,
    of: (e) => Number(e.site),
    send: (lane, events, signal) =>
      new Promise<void>((ack, fail) => {
        sends.push({ lane, events: [...events], signal, ack, fail });
        signal?.addEventListener('abort', () => {
          if (!mayBeWritten.has(lane)) fail(new QueueUnavailableError(`lane ${lane}: given up`));
        });
      }),
    health: async () => health,
  };
  const producer: QueueProducer & { lanes: QueueLanes } = {
    lanes,
    send: async () => {},
    ready: async () => true,
    close: async () => {},
  };
  return { producer, sends, mayBeWritten, setHealth: (h: QueueHealth) => (health = h) };
}

async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

const outcome = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (e: Error) => e.name,
  );

describe('lane commit', () => {
  it('holds the requests of a stuck lane only; the other lane keeps answering', async () => {
    const q = manualLanes();
    const lc = createLaneCommit(q.producer, { holdMs: 60_000 });
    const stuck = outcome(lc.send([event(0)]));
    const free = lc.send([event(1), event(1)]);
    await until(() => q.sends.length === 2);
    expect(q.sends.map((s) => [s.lane, s.events.length]).sort()).toEqual([
      [0, 1],
      [1, 2],
    ]);
    q.sends.find((s) => s.lane === 1)?.ack();
    await free;
    // Lane 1 sends again while lane 0 still waits.
    const next = lc.send([event(1)]);
    await until(() => q.sends.length === 3);
    q.sends[2]?.ack();
    await next;
    expect(lc.backlog()).toBe(1);
    q.sends.find((s) => s.lane === 0)?.ack();
    expect(await stuck).toBe('ok');
    expect(lc.backlog()).toBe(0);
  });

  it('splits a request over its lanes and answers once every part is acknowledged', async () => {
    const q = manualLanes();
    const lc = createLaneCommit(q.producer);
    let done = false;
    const request = lc.send([event(0), event(1), event(0)]).then(() => (done = true));
    await until(() => q.sends.length === 2);
    expect(q.sends.find((s) => s.lane === 0)?.events).toHaveLength(2);
    q.sends.find((s) => s.lane === 0)?.ack();
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    q.sends.find((s) => s.lane === 1)?.ack();
    await request;
    expect(done).toBe(true);
  });

  it('answers 503 after the hold only for a send that gave up, never sooner', async () => {
    const q = manualLanes();
    const lc = createLaneCommit(q.producer, { holdMs: 150 });
    const started = Date.now();
    const answer = outcome(lc.send([event(0)]));
    await until(() => q.sends.length === 1);
    expect(await answer).toBe('QueueUnavailableError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(q.sends[0]?.signal?.aborted).toBe(true);
  });

  it('does not give up a send that may have been written: the request is answered "unconfirmed" and the lane keeps it', async () => {
    const q = manualLanes();
    q.mayBeWritten.add(0);
    const lc = createLaneCommit(q.producer, { holdMs: 100 });
    const answer = outcome(lc.send([event(0)]));
    await until(() => q.sends.length === 1);
    expect(await answer).toBe(QueueOutcomeUnknownError.name);
    // The lane's send still runs and holds its events until acknowledged.
    expect(lc.backlog()).toBe(1);
    const later = outcome(lc.send([event(0)]));
    await new Promise((r) => setTimeout(r, 20));
    expect(q.sends).toHaveLength(1); // one send at a time per lane: the same batch first
    q.mayBeWritten.delete(0);
    q.sends[0]?.ack();
    await until(() => q.sends.length === 2);
    q.sends[1]?.ack();
    expect(await later).toBe('ok');
    expect(lc.backlog()).toBe(0);
  });

  it('refuses at once when the backlog is full, and while no broker answers', async () => {
    const q = manualLanes();
    const lc = createLaneCommit(q.producer, { maxBacklogEvents: 2, probeIntervalMs: 10, unreachableMs: 30 });
    const held = outcome(lc.send([event(0), event(0)]));
    expect(await outcome(lc.send([event(1)]))).toBe('QueueUnavailableError');
    await until(() => q.sends.length === 1);
    q.setHealth({ reachable: false, unavailable: [] });
    // The held send was not written: given up once the queue counts as down.
    expect(await held).toBe('QueueUnavailableError');
    expect(lc.healthy()).toBe(false);
    expect(await outcome(lc.send([event(1)]))).toBe('QueueUnavailableError');
    expect(await lc.ready()).toBe(false);
    q.setHealth({ reachable: true, unavailable: [] });
    await until(() => lc.healthy());
    const ok = lc.send([event(1)]);
    await until(() => q.sends.length === 2);
    q.sends[1]?.ack();
    await ok;
  });

  it('is not ready while no partition has a leader, and says which have none', async () => {
    const q = manualLanes();
    const lc = createLaneCommit(q.producer);
    q.setHealth({ reachable: true, unavailable: [1] });
    expect(await lc.ready()).toBe(true);
    expect(lc.health?.().unavailable).toEqual([1]);
    q.setHealth({ reachable: true, unavailable: [0, 1] });
    expect(await lc.ready()).toBe(false);
  });
});
