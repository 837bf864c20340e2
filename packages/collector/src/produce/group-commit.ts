/**
 * Group commit in front of a `QueueProducer`: concurrent requests append their events to
 * one open batch; a batch is sent as soon as a send slot is free, and every request of the
 * batch resolves only when that send was acknowledged. Bounded: past `maxBacklogEvents`
 * waiting or in flight, `send` refuses at once (503), so a slow or absent queue never
 * turns into unbounded memory. After a failed send the circuit opens (fast 503s) until a
 * probe of the queue's `ready()` succeeds, so the service resumes by itself.
 */
import { type QueueHealth, type QueueProducer, QueueUnavailableError, type StoredEvent } from '@tidemark/shared';

export interface GroupCommitOptions {
  /** Most events in one send. */
  maxBatchEvents?: number;
  /** Sends in flight at once. */
  maxInFlight?: number;
  /** Events waiting or in flight before `send` refuses. */
  maxBacklogEvents?: number;
  /** A request waits at most this long for its send before it is refused. */
  timeoutMs?: number;
  /** How often the queue is probed while the circuit is open. */
  probeIntervalMs?: number;
  /**
   * How long `close()` waits for what is waiting or in flight. A send that hangs longer
   * (Kafka unreachable) holds no accepted event: its requests were answered 503 after
   * `timeoutMs`. `close()` then rejects naming how many events were not sent.
   */
  closeTimeoutMs?: number;
  /** Called after every send with its size, duration and outcome. */
  onSend?: (events: number, seconds: number, error: Error | null) => void;
}

export interface GroupCommitProducer extends QueueProducer {
  /** Events waiting or in flight. */
  backlog(): number;
  /** False while the circuit is open after a failed send (lanes: while the queue cannot take writes). */
  healthy(): boolean;
  /** The queue's lanes as last seen (`lane-commit.ts`); absent for a queue of one lane. */
  health?(): QueueHealth;
}

interface Batch {
  events: StoredEvent[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
  settled: boolean;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {}); // a batch nobody awaits any more must not raise an unhandled rejection
  return { events: [], done, resolve, reject, settled: false };
}

export function createGroupCommit(
  inner: QueueProducer,
  {
    maxBatchEvents = 5_000,
    maxInFlight = 1,
    maxBacklogEvents = 50_000,
    timeoutMs = 5_000,
    probeIntervalMs = 1_000,
    closeTimeoutMs = 15_000,
    onSend = () => {},
  }: GroupCommitOptions = {},
): GroupCommitProducer {
  const sealed: Batch[] = [];
  let open: Batch | null = null;
  let backlog = 0;
  let inFlight = 0;
  let scheduled = false;
  let closed = false;
  let healthy = true;
  let probe: NodeJS.Timeout | null = null;
  let idle: (() => void) | null = null;

  const settle = (batch: Batch, error: Error | null) => {
    if (batch.settled) return;
    batch.settled = true;
    if (error) batch.reject(error);
    else batch.resolve();
  };

  const openCircuit = () => {
    healthy = false;
    for (const batch of sealed.splice(0)) fail(batch, new QueueUnavailableError('queue unavailable'));
    if (open) {
      fail(open, new QueueUnavailableError('queue unavailable'));
      open = null;
    }
    if (backlog === 0 && inFlight === 0) idle?.();
    if (probe || closed) return;
    probe = setInterval(() => {
      inner.ready().then(
        (ready) => {
          if (!ready || !probe) return;
          clearInterval(probe);
          probe = null;
          healthy = true;
        },
        () => {}, // still down: the next probe asks again
      );
    }, probeIntervalMs);
    probe.unref();
  };

  const fail = (batch: Batch, error: Error) => {
    backlog -= batch.events.length;
    settle(batch, error);
  };

  const dispatch = (batch: Batch) => {
    inFlight++;
    const started = performance.now();
    const timer = setTimeout(() => {
      // A send this slow means the queue is not well: refuse now, and stop queueing behind it.
      settle(batch, new QueueUnavailableError('queue send timed out'));
      openCircuit();
    }, timeoutMs);
    inner.send(batch.events).then(
      () => finish(batch, timer, started, null),
      (error: unknown) => finish(batch, timer, started, error instanceof Error ? error : new Error(String(error))),
    );
  };

  const finish = (batch: Batch, timer: NodeJS.Timeout, started: number, error: Error | null) => {
    clearTimeout(timer);
    inFlight--;
    backlog -= batch.events.length;
    onSend(batch.events.length, (performance.now() - started) / 1000, error);
    if (error) {
      settle(batch, error instanceof QueueUnavailableError ? error : new QueueUnavailableError(error.message, { cause: error }));
      openCircuit();
    } else {
      healthy = true;
      settle(batch, null);
    }
    pump();
    if (backlog === 0 && inFlight === 0) idle?.();
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < maxInFlight) {
      const batch = sealed.shift() ?? open;
      if (!batch) return;
      if (batch === open) open = null;
      dispatch(batch);
    }
  };

  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(pump); // requests arriving in this turn of the event loop join the batch
  };

  return {
    send(events) {
      if (closed) return Promise.reject(new QueueUnavailableError('collector is stopping'));
      if (!healthy) return Promise.reject(new QueueUnavailableError('queue unavailable'));
      if (backlog + events.length > maxBacklogEvents) return Promise.reject(new QueueUnavailableError('queue backlog full'));
      let batch = open ?? newBatch();
      if (batch.events.length + events.length > maxBatchEvents && batch.events.length > 0) {
        sealed.push(batch);
        batch = newBatch();
      }
      open = batch;
      for (const event of events) batch.events.push(event);
      backlog += events.length;
      schedule();
      return batch.done;
    },
    async ready() {
      return healthy && !closed && backlog < maxBacklogEvents && (await inner.ready());
    },
    backlog: () => backlog,
    healthy: () => healthy,
    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      probe = null;
      if (backlog > 0 || inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        const drained = await Promise.race([
          new Promise<boolean>((resolve) => {
            idle = () => resolve(true);
            pump();
          }),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), closeTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (!drained)
          throw new QueueUnavailableError(`closing: ${backlog} events still unsent after ${closeTimeoutMs} ms (none was answered 202)`);
      }
      await inner.close();
    },
  };
}
