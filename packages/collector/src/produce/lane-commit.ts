/**
 * Group commit per lane, for a queue with independent ordered lanes (Kafka: its partitions,
 * `QueueLanes`). A request's events go to their lanes (a visitor's events share one, so their
 * order holds); each lane gathers what arrives while its previous send is out into one batch
 * and has one send in flight, the lanes side by side. A request resolves once each of its
 * lanes acknowledged its part.
 *
 * A lane whose partition lost its leader holds its own requests only: the others keep
 * writing. Requests are held, not refused:
 * - `send` refuses at once (503) only when the backlog is full, when the queue cannot take
 *   writes (no broker answered its metadata for `unreachableMs`, or no partition has a
 *   leader), or while closing — nothing of those requests was sent;
 * - a held request is answered 503 only after `holdMs`, and only when nothing of it was
 *   written: a lane gives up a batch only while no attempt of it may have been written
 *   (`QueueLanes.send`), and only once every request in the batch ran out of time.
 * So a 503 means "not written". A request still unconfirmed `UNCONFIRMED_GRACE_MS` after
 * `holdMs` (or at once when the queue cannot take writes) has a part that may have been
 * written: it is rejected with `QueueOutcomeUnknownError` (the collector's 504) while its
 * lane keeps sending that batch until acknowledged, so nothing of it is lost and nothing is
 * stored twice (event ids, SPEC §4). A request spread over lanes, one of which gave up while
 * another was written, is answered 503 too (logged as `queue_partial_write`).
 */
import {
  groupByLane,
  type QueueHealth,
  type QueueLanes,
  QueueOutcomeUnknownError,
  type QueueProducer,
  QueueUnavailableError,
  type StoredEvent,
} from '@tidemark/shared';
import type { GroupCommitProducer } from './group-commit.ts';

/** After a request's hold ran out, how long its lanes may take to give up what was not written before it is answered "unconfirmed". */
const UNCONFIRMED_GRACE_MS = 2_000;

export interface LaneCommitOptions {
  /** Most events in one send of one lane. */
  maxBatchEvents?: number;
  /** Events waiting or in flight before `send` refuses. */
  maxBacklogEvents?: number;
  /** How long a request may wait for its lanes while nothing of it was written (longer than Kafka's ~9 s fencing of a dead broker). */
  holdMs?: number;
  /** How often the queue's health is read while a lane is failing or the queue is down. */
  probeIntervalMs?: number;
  /** How long no broker may answer before the queue counts as unable to take writes. */
  unreachableMs?: number;
  /** How long `close()` waits for what is waiting or in flight. */
  closeTimeoutMs?: number;
  /** Called after every lane send with its size, duration and outcome. */
  onSend?: (events: number, seconds: number, error: Error | null) => void;
  /** A request answered 503 although part of it was written (see the file's header). */
  onPartial?: (request: { events: number; lanes: number }) => void;
}

interface Request {
  events: number;
  parts: number;
  settledParts: number;
  written: boolean;
  error: Error | null;
  expired: boolean;
  answered: boolean;
  timer: NodeJS.Timeout | null;
  batches: Batch[];
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Batch {
  events: StoredEvent[];
  requests: Request[];
  abort: AbortController;
}

interface Lane {
  waiting: Batch[];
  sending: boolean;
}

export function createLaneCommit(
  inner: QueueProducer & { lanes: QueueLanes },
  {
    maxBatchEvents = 5_000,
    maxBacklogEvents = 50_000,
    holdMs = 30_000,
    probeIntervalMs = 1_000,
    unreachableMs = 3_000,
    closeTimeoutMs = 15_000,
    onSend = () => {},
    onPartial = () => {},
  }: LaneCommitOptions = {},
): GroupCommitProducer {
  const { lanes } = inner;
  const state: Lane[] = Array.from({ length: lanes.count }, () => ({ waiting: [], sending: false }));
  let backlog = 0;
  let inFlight = 0;
  let closed = false;
  const failing = new Set<number>(); // lanes whose last send failed
  let health: QueueHealth = { reachable: true, unavailable: [] };
  let unreachableSince: number | null = null;
  let down = false; // the queue cannot take writes: refuse at once
  let probe: NodeJS.Timeout | null = null;
  let idle: (() => void) | null = null;

  const allBatches = () => state.flatMap((l) => l.waiting);

  const applyHealth = (h: QueueHealth) => {
    health = h;
    const now = Date.now();
    unreachableSince = h.reachable ? null : (unreachableSince ?? now);
    const wasDown = down;
    down = (unreachableSince !== null && now - unreachableSince >= unreachableMs) || (h.reachable && h.unavailable.length >= lanes.count);
    if (down && !wasDown) {
      // Nothing can be written now: what was not sent yet is refused, sends in progress give up where they can.
      for (const lane of state)
        for (const batch of lane.waiting.splice(0)) settleBatch(batch, new QueueUnavailableError('queue unavailable'));
      for (const batch of inFlightBatches) for (const request of batch.requests) expire(request);
    }
    if (!down && failing.size === 0 && inFlight === 0 && probe) {
      clearInterval(probe);
      probe = null;
    }
  };
  const startProbe = () => {
    if (probe || closed) return;
    probe = setInterval(() => {
      lanes.health().then(applyHealth, () => applyHealth({ reachable: false, unavailable: [] }));
    }, probeIntervalMs);
    probe.unref();
  };

  const inFlightBatches = new Set<Batch>();

  const settlePart = (request: Request, error: Error | null) => {
    request.settledParts++;
    if (error === null) request.written = true;
    else request.error ??= error;
    if (request.settledParts < request.parts || request.answered) return;
    request.answered = true;
    if (request.timer) clearTimeout(request.timer);
    if (request.error === null) request.resolve();
    else {
      if (request.written && request.error instanceof QueueUnavailableError) onPartial({ events: request.events, lanes: request.parts });
      request.reject(request.error);
    }
  };

  const settleBatch = (batch: Batch, error: Error | null) => {
    backlog -= batch.events.length;
    for (const request of batch.requests) settlePart(request, error);
  };

  const expire = (request: Request) => {
    if (request.expired || request.answered) return;
    request.expired = true;
    if (request.timer) clearTimeout(request.timer);
    // What is still unconfirmed after the lanes gave up what they could may be written: say so.
    request.timer = setTimeout(() => {
      if (request.answered) return;
      request.answered = true;
      request.reject(new QueueOutcomeUnknownError(`queue: not confirmed within ${holdMs} ms; the events may be stored`));
    }, UNCONFIRMED_GRACE_MS);
    request.timer.unref();
    if (request.written) return; // part of it is stored: the rest is not given up
    for (const batch of request.batches) {
      if (batch.requests.every((r) => r.expired && !r.written)) batch.abort.abort();
    }
    // Batches not sent yet and given up by all their requests leave their lane now.
    for (const lane of state) {
      for (const batch of [...lane.waiting]) {
        if (batch.abort.signal.aborted) {
          lane.waiting.splice(lane.waiting.indexOf(batch), 1);
          settleBatch(batch, new QueueUnavailableError(`queue: not written within ${holdMs} ms`));
        }
      }
    }
  };

  const pump = (index: number) => {
    const lane = state[index] as Lane;
    if (lane.sending) return;
    const next = lane.waiting.shift();
    if (!next) return;
    const batch: Batch = next;
    lane.sending = true;
    inFlight++;
    startProbe(); // a send that never ends (a broker gone mid-request) must still let the queue's state be seen
    inFlightBatches.add(batch);
    const started = performance.now();
    lanes.send(index, batch.events, batch.abort.signal).then(
      () => done(null),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
    function done(error: Error | null) {
      lane.sending = false;
      inFlight--;
      inFlightBatches.delete(batch);
      onSend(batch.events.length, (performance.now() - started) / 1000, error);
      if (error) {
        failing.add(index);
        startProbe();
      } else failing.delete(index);
      const reason =
        error === null || error instanceof QueueUnavailableError || error instanceof QueueOutcomeUnknownError
          ? error
          : new QueueUnavailableError(error.message, { cause: error });
      settleBatch(batch, reason);
      pump(index);
      if (backlog === 0 && inFlight === 0) idle?.();
    }
  };

  const enqueue = (index: number, events: StoredEvent[], request: Request) => {
    const lane = state[index] as Lane;
    let batch = lane.waiting.at(-1);
    if (!batch || batch.events.length + events.length > maxBatchEvents || batch.abort.signal.aborted) {
      batch = { events: [], requests: [], abort: new AbortController() };
      lane.waiting.push(batch);
    }
    for (const event of events) batch.events.push(event);
    batch.requests.push(request);
    request.batches.push(batch);
  };

  const scheduled = new Set<number>();
  const schedule = (index: number) => {
    if (scheduled.has(index)) return;
    scheduled.add(index);
    // Requests arriving in this turn of the event loop join the batch.
    setImmediate(() => {
      scheduled.delete(index);
      pump(index);
    });
  };

  return {
    send(events) {
      if (closed) return Promise.reject(new QueueUnavailableError('collector is stopping'));
      if (down) return Promise.reject(new QueueUnavailableError('queue unavailable'));
      if (backlog + events.length > maxBacklogEvents) return Promise.reject(new QueueUnavailableError('queue backlog full'));
      if (events.length === 0) return Promise.resolve();
      const byLane = groupByLane(events, lanes.of);
      return new Promise<void>((resolve, reject) => {
        const request: Request = {
          events: events.length,
          parts: byLane.size,
          settledParts: 0,
          written: false,
          error: null,
          expired: false,
          answered: false,
          timer: null,
          batches: [],
          resolve,
          reject,
        };
        request.timer = setTimeout(() => expire(request), holdMs);
        backlog += events.length;
        for (const [index, list] of byLane) {
          enqueue(index, list, request);
          schedule(index);
        }
      });
    },
    async ready() {
      if (closed || down || backlog >= maxBacklogEvents) return false;
      const h = await lanes.health();
      applyHealth(h);
      return h.reachable && h.unavailable.length < lanes.count;
    },
    backlog: () => backlog,
    healthy: () => !down,
    health: () => health,
    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      probe = null;
      let drained = backlog === 0 && inFlight === 0;
      if (!drained && !down) {
        let timer: NodeJS.Timeout | undefined;
        drained = await Promise.race([
          new Promise<boolean>((resolve) => {
            idle = () => resolve(true);
          }),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), closeTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      if (drained) return inner.close();
      // Give up what can be given up (503), say "unconfirmed" for the rest (504); the producer's close ends its sends.
      const left = backlog;
      const held = [...allBatches(), ...inFlightBatches];
      for (const batch of held) for (const request of batch.requests) expire(request);
      for (const batch of held) batch.abort.abort();
      await inner.close();
      throw new QueueUnavailableError(`closing: ${left} events were not confirmed by the queue (none was answered 202)`);
    },
  };
}
