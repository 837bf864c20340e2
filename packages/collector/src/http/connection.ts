/**
 * One client connection on the fast path. Requests of the fast shape (`head.ts`) are read
 * straight from the socket's bytes and answered from the event route; answers go out in
 * request order, also for pipelined requests answered out of order. The first request of
 * any other shape hands the connection to Node's HTTP server for the rest of its life:
 * once every answer before it was written, that request's bytes and everything after are
 * given to Node's parser exactly as they arrived.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { ByteBudget } from '../body/budget.ts';
import type { BodyResult } from '../body/read.ts';
import { BodyLimit } from '../body/read.ts';
import { type Outcome, REQUEST_TIMEOUT, SERVER_BUSY } from '../pipeline.ts';
import { FALLBACK, type FastHead, MAX_HEAD_BYTES, NEED_MORE, parseHead } from './head.ts';
import { closesConnection, type ResponseWriter } from './response.ts';

export interface FastRoute {
  path: string;
  /** The answer to one POST of the events path. Never rejects: a fault is an outcome (500). */
  answer(headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome>;
  /** Counts an answer the connection gave by itself (a 408, a busy 503). */
  refused(outcome: Outcome): void;
}

export interface ConnectionOptions {
  route: FastRoute;
  writer: ResponseWriter;
  /** Gives the socket, and bytes already read from it, to Node's HTTP server. */
  handOver: (socket: Socket, rest: Buffer) => void;
  /** Idle time between requests before the connection is closed. */
  keepAliveTimeoutMs: number;
  /** Bytes of requests not complete yet, shared with every other connection (`COLLECTOR_BUFFER_MB`). */
  budget: ByteBudget;
  /** A fault while writing an answer (the connection is then destroyed). */
  onFault: (error: unknown) => void;
  /** Called once the connection is closed or handed over. */
  onDone: (connection: FastConnection) => void;
}

/** Pipelined requests not answered yet beyond which reading pauses. */
const MAX_PENDING = 64;
/** The most a head may take before it is complete (or handed to Node): the limit and its `CRLFCRLF`. */
const HEAD_CAPACITY = MAX_HEAD_BYTES + 4;

interface Slot {
  outcome: Outcome | null;
  /** The request asked for `Connection: close`, or its answer was a fault. */
  close: boolean;
}

function bodyOf(bytes: Buffer): BodyResult {
  const limit = new BodyLimit();
  return limit.add(bytes) ? { ok: true, body: bytes } : { ok: false, limit: limit.limit };
}

export class FastConnection {
  private readonly socket: Socket;
  private readonly options: ConnectionOptions;
  private readonly remoteAddress: string;
  /**
   * A request not complete yet: its bytes so far (`pending[0, pendingLength)`, in a buffer that
   * grows by doubling up to the head's limit, so a head trickling in is copied O(n) times, not
   * O(n²), and to exactly the request's size once its head tells it), when its first byte
   * came, its head once complete, and how far its head was searched for its end. The buffer's
   * size is reserved from the shared budget.
   */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  private pendingHead: FastHead | null = null;
  private pendingScanned = 0;
  private partialSinceMs = 0;
  /** One per request read, in order; answers are written from the front as they become ready. */
  private readonly slots: Slot[] = [];
  /** Bytes for Node's parser, waiting for the answers before them to be written. */
  private handOverRest: Buffer | null = null;
  /** No more requests are read: `Connection: close`, a fault, the client's end, or the server closing. */
  private ending = false;
  private done = false;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.setTimeout(options.keepAliveTimeoutMs);
    for (const [event, listener] of this.socketListeners()) socket.on(event, listener);
  }

  /** The socket events this connection listens to, added at the start and removed by `detach`. */
  private socketListeners(): [string, Parameters<Socket['off']>[1]][] {
    return [
      ['data', this.onData],
      ['timeout', this.onTimeout],
      ['drain', this.resumeIfRoom],
      ['end', this.onEnd],
      ['error', this.onError],
      ['close', this.onClose],
    ];
  }

  /** The server is closing: close now if idle, else after the answers in progress. */
  closeWhenIdle(): void {
    if (this.handOverRest !== null) return; // Node's server takes it over, and closes it itself
    this.ending = true;
    this.clearPending();
    if (this.slots.length === 0) this.closeAfterWrites();
  }

  /**
   * Ends the connection once the answers written so far have gone out, and then closes it
   * entirely, reading nothing more (Node's `destroySoon`): a client that keeps sending after
   * `Connection: close` holds no socket.
   */
  private closeAfterWrites(): void {
    const { socket } = this;
    socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.ending || this.handOverRest !== null) return;
    const continuing = this.pending !== null;
    let buf = chunk;
    if (continuing) {
      const joined = this.append(chunk);
      if (joined === null) {
        this.refuse(SERVER_BUSY);
        return;
      }
      buf = joined;
    }
    const { path } = this.options.route;
    let offset = 0;
    while (offset < buf.length && !this.ending) {
      const resumed = continuing && offset === 0;
      const head =
        resumed && this.pendingHead !== null ? this.pendingHead : parseHead(buf, offset, path, resumed ? this.pendingScanned - 3 : offset);
      if (head === FALLBACK) {
        this.handOverAfterAnswers(buf.subarray(offset));
        return;
      }
      if (head === NEED_MORE || head.bodyEnd > buf.length) {
        if (!this.keepPending(buf, offset, resumed, head === NEED_MORE ? null : head)) {
          this.refuse(SERVER_BUSY);
          return;
        }
        break;
      }
      const slot: Slot = { outcome: null, close: head.close };
      this.slots.push(slot);
      if (head.close) this.ending = true;
      this.serve(slot, head.headers, buf.subarray(head.bodyStart, head.bodyEnd));
      offset = head.bodyEnd;
    }
    if (offset >= buf.length || this.ending) this.clearPending();
    if (this.slots.length >= MAX_PENDING) this.socket.pause();
  };

  /**
   * The server's periodic check (Node's `headersTimeout` and `requestTimeout`): a request whose
   * head, or whole, has not arrived in time is answered 408 and the connection closed.
   */
  checkTimeouts(nowMs: number, headersTimeoutMs: number, requestTimeoutMs: number): void {
    if (this.pending === null || this.ending || this.handOverRest !== null) return;
    const limit = this.pendingHead === null && headersTimeoutMs > 0 ? headersTimeoutMs : requestTimeoutMs;
    if (limit > 0 && nowMs - this.partialSinceMs > limit) this.refuse(REQUEST_TIMEOUT);
  }

  /** Answers the request being read with `outcome` (after the answers before it), reads nothing more, and closes. */
  private refuse(outcome: Outcome): void {
    this.clearPending();
    this.ending = true;
    this.options.route.refused(outcome);
    this.slots.push({ outcome, close: true });
    this.flushOrFail();
  }

  /** Sizes the pending buffer to hold `needed` bytes (the budget allowing); false when it does not. */
  private reserve(needed: number, capacity: number): boolean {
    const pending = this.pending;
    const held = pending?.length ?? 0;
    if (needed <= held) return true;
    const size = Math.max(needed, capacity);
    if (!this.options.budget.take(size - held)) return false;
    const bigger = Buffer.allocUnsafe(size);
    if (pending !== null) pending.copy(bigger, 0, 0, this.pendingLength);
    this.pending = bigger;
    return true;
  }

  /** Where a pending request's buffer grows to: doubling while its head is incomplete, its exact size once known. */
  private nextCapacity(): number {
    const held = this.pending?.length ?? 0;
    return this.pendingHead === null ? Math.min(Math.max(held * 2, 1024), HEAD_CAPACITY) : this.pendingHead.bodyEnd;
  }

  /** Appends a chunk to the pending request; answers its bytes so far, or null when the budget is spent. */
  private append(chunk: Buffer): Buffer | null {
    const needed = this.pendingLength + chunk.length;
    if (!this.reserve(needed, this.nextCapacity())) return null;
    const pending = this.pending as Buffer;
    chunk.copy(pending, this.pendingLength);
    this.pendingLength = needed;
    return pending.subarray(0, needed);
  }

  /** Keeps `buf[offset…]`, a request not complete yet (its head, if that is complete); false when the budget is spent. */
  private keepPending(buf: Buffer, offset: number, resumed: boolean, head: FastHead | null): boolean {
    if (!resumed) {
      // A new request: its bytes move to a buffer of their own (`buf` may be the last request's, and
      // answered bodies may still point into it).
      this.clearPending();
      this.partialSinceMs = Date.now();
    }
    // Offsets from here on count from the request's first byte, where the kept bytes start.
    const shift = resumed ? 0 : offset;
    this.pendingHead = head === null || shift === 0 ? head : { ...head, bodyStart: head.bodyStart - shift, bodyEnd: head.bodyEnd - shift };
    this.pendingScanned = head === null ? buf.length - offset : 0;
    if (resumed) return true;
    const rest = buf.subarray(offset);
    if (!this.reserve(rest.length, this.nextCapacity())) return false;
    rest.copy(this.pending as Buffer);
    this.pendingLength = rest.length;
    return true;
  }

  private clearPending(): void {
    if (this.pending !== null) this.options.budget.give(this.pending.length);
    this.pending = null;
    this.pendingLength = 0;
    this.pendingHead = null;
    this.pendingScanned = 0;
  }

  private serve(slot: Slot, headers: IncomingHttpHeaders, bytes: Buffer): void {
    this.options.route.answer(headers, this.remoteAddress, bodyOf(bytes)).then((outcome) => {
      if (closesConnection(outcome)) slot.close = true;
      slot.outcome = outcome;
      this.flushOrFail();
    }, this.fail); // `answer` does not reject; if it ever does, say so
  }

  private flushOrFail(): void {
    try {
      this.flush();
    } catch (error) {
      this.fail(error);
    }
  }

  /** A fault while answering: report it and drop the connection. */
  private readonly fail = (error: unknown): void => {
    this.options.onFault(error);
    this.socket.destroy();
  };

  /** Writes the answers that are ready, in order; then closes, hands over or reads on. */
  private flush(): void {
    const { slots, socket, options } = this;
    while (slots.length > 0 && (slots[0] as Slot).outcome !== null) {
      const slot = slots.shift() as Slot;
      // The connection ends after this answer if asked to, or if it is the last one of an ending connection.
      const last = slot.close || (this.ending && slots.length === 0 && this.handOverRest === null);
      if (socket.destroyed) continue;
      if (!socket.write(options.writer.render(slot.outcome as Outcome, last))) socket.pause();
      if (last) {
        this.ending = true;
        slots.length = 0;
        this.clearPending();
        this.closeAfterWrites();
        return;
      }
    }
    if (slots.length > 0) return;
    if (this.handOverRest !== null) {
      const rest = this.handOverRest;
      this.handOverRest = null;
      this.detach();
      options.handOver(socket, rest);
      return;
    }
    this.resumeIfRoom();
  }

  private handOverAfterAnswers(rest: Buffer): void {
    this.clearPending();
    if (this.slots.length > 0) {
      this.handOverRest = rest;
      this.socket.pause();
      return;
    }
    this.detach();
    this.options.handOver(this.socket, rest);
  }

  /** Stops listening to the socket: it was closed, or Node's server has it now. */
  private detach(): void {
    if (this.done) return;
    this.done = true;
    const { socket } = this;
    socket.setTimeout(0);
    for (const [event, listener] of this.socketListeners()) socket.off(event, listener);
    this.options.onDone(this);
  }

  private readonly resumeIfRoom = (): void => {
    const { socket } = this;
    if (!socket.isPaused() || this.handOverRest !== null || this.slots.length >= MAX_PENDING || socket.writableNeedDrain) return;
    socket.resume();
  };

  private readonly onTimeout = (): void => {
    // Idle between requests for the keep-alive time: close. (A request arriving is timed by `checkTimeouts`.)
    if (this.slots.length === 0 && this.handOverRest === null && this.pending === null) this.socket.destroy();
  };

  /** The client sent its last byte: answer what was asked, then close. */
  private readonly onEnd = (): void => {
    this.clearPending();
    this.ending = true;
    if (this.slots.length === 0 && this.handOverRest === null) this.closeAfterWrites();
  };

  private readonly onError = (): void => {
    this.socket.destroy(); // a reset, or a write after the client left: nobody reads the answers
  };

  private readonly onClose = (): void => {
    this.slots.length = 0;
    this.handOverRest = null;
    this.clearPending();
    this.detach();
  };
}
