/**
 * One client connection on the fast path. Requests of the fast shape (`head.ts`) are read
 * straight from the socket's bytes and answered from the event route; answers go out in
 * request order, also for pipelined requests answered out of order. The first request of
 * any other shape hands the connection to Node's HTTP server for the rest of its life:
 * once every answer before it was written, that request's bytes and everything after are
 * given to Node's parser exactly as they arrived.
 *
 * What a client sees is what Node's own path shows it: a request is checked as soon as its
 * head is read (a 415 or 429 goes out without waiting for the body, whose bytes are then
 * skipped), a request cut by the client's FIN is answered 400, one that takes longer than
 * the headers or request timeout 408, and after the last answer the connection closes
 * entirely.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { ByteBudget } from '../body/budget.ts';
import type { BodyResult } from '../body/read.ts';
import { BodyLimit } from '../body/read.ts';
import { type Outcome, REQUEST_TIMEOUT, SERVER_BUSY } from '../pipeline.ts';
import { closeAfter } from './close.ts';
import { FALLBACK, type FastHead, NEED_MORE, parseHead } from './head.ts';
import { PendingRequest } from './pending.ts';
import { closesConnection, type ResponseWriter } from './response.ts';

/** The event route as the fast path uses it (`event-route.ts`). Its answers never reject: a fault is a 500. */
export interface FastRoute {
  path: string;
  /** The answer to a request read whole. */
  answer(headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome>;
  /** What the head alone decides: an answer now, or null to read the body and `process` it. */
  check(headers: IncomingHttpHeaders, remoteAddress: string): Outcome | null;
  process(headers: IncomingHttpHeaders, remoteAddress: string, body: BodyResult): Promise<Outcome>;
  /** Counts an answer the connection gave by itself (a 400, 408, or busy 503). */
  refused(outcome: Outcome): void;
}

export interface ConnectionOptions {
  route: FastRoute;
  writer: ResponseWriter;
  /**
   * Gives the socket, and bytes already read from it, to Node's HTTP server; `ended`: the
   * client's FIN came already (Node's server must learn it, or it would wait for another request).
   */
  handOver: (socket: Socket, rest: Buffer, ended: boolean) => void;
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
/** A request the client's FIN cut short, answered as Node's parser answers it (`HPE_INVALID_EOF_STATE`). */
const CUT_SHORT: Outcome = { status: 400, headers: {}, body: null };

interface Slot {
  outcome: Outcome | null;
  /** The request asked for `Connection: close`, or its answer closes the connection. */
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
  /** A request not complete yet. */
  private pending: PendingRequest | null = null;
  /** The slot of the pending request once its head was read and checked: it waits for the body. */
  private pendingSlot: Slot | null = null;
  /** Body bytes of a request answered on its head alone, still to skip; and when that request began. */
  private discard = 0;
  private discardSinceMs = 0;
  /** One per request read, in order; answers are written from the front as they become ready. */
  private readonly slots: Slot[] = [];
  /** Bytes for Node's parser, waiting for the answers before them to be written. */
  private handOverRest: Buffer | null = null;
  /** No more requests are read: `Connection: close`, a fault, the client's end, or the server closing. */
  private ending = false;
  /** The server is closing: the request arriving now is the last. */
  private lastRequest = false;
  /** The client's FIN came (`end`), possibly while reading was paused for a hand-over. */
  private clientEnded = false;
  /** The connection is closing after its last answer. */
  private closing = false;
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

  /** A request has begun to arrive and is not whole yet. */
  private get arriving(): boolean {
    return this.pending !== null || this.discard > 0;
  }

  /** The server is closing: close now if idle, else after the request arriving and the answers in progress. */
  closeWhenIdle(): void {
    if (this.handOverRest !== null) return; // Node's server takes it over, and closes it itself
    if (this.arriving) {
      this.lastRequest = true;
      if (this.pendingSlot !== null) this.pendingSlot.close = true;
      return;
    }
    this.ending = true;
    if (this.slots.length === 0) this.close();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The server's periodic check (Node's `headersTimeout` and `requestTimeout`): a request whose
   * head, or whole, has not arrived in time is answered 408 and the connection closed.
   */
  checkTimeouts(nowMs: number, headersTimeoutMs: number, requestTimeoutMs: number): void {
    if (!this.arriving || this.ending || this.handOverRest !== null) return;
    const headMissing = this.pending !== null && this.pending.head === null;
    const limit = headMissing && headersTimeoutMs > 0 ? headersTimeoutMs : requestTimeoutMs;
    const since = this.pending?.sinceMs ?? this.discardSinceMs;
    if (limit > 0 && nowMs - since > limit) this.refuse(REQUEST_TIMEOUT);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.ending || this.handOverRest !== null) return;
    let buf = chunk;
    if (this.discard > 0) {
      const skipped = Math.min(this.discard, buf.length);
      this.discard -= skipped;
      buf = buf.subarray(skipped);
      if (this.discard === 0) this.requestDone(this.lastRequest);
      if (buf.length === 0 || this.ending) return;
    }
    const continuing = this.pending !== null;
    if (this.pending !== null) {
      const joined = this.pending.append(buf);
      if (joined === null) {
        this.refuse(SERVER_BUSY);
        return;
      }
      buf = joined;
    }
    this.read(buf, continuing);
    if (this.slots.length >= MAX_PENDING) this.socket.pause();
  };

  /** Reads the requests in `buf`; `continuing`: it starts with the pending request's bytes. */
  private read(buf: Buffer, continuing: boolean): void {
    const { path } = this.options.route;
    let offset = 0;
    while (offset < buf.length && !this.ending) {
      const pending = continuing && offset === 0 ? this.pending : null;
      const head = pending?.head ?? parseHead(buf, offset, path, pending === null ? offset : pending.scanned - 3);
      if (head === FALLBACK) {
        this.handOverAfterAnswers(buf.subarray(offset));
        return;
      }
      if (head === NEED_MORE || head.bodyEnd > buf.length) {
        this.keep(buf, offset, pending, head === NEED_MORE ? null : head);
        return;
      }
      const body = bodyOf(buf.subarray(head.bodyStart, head.bodyEnd));
      const checked = pending === null ? null : this.pendingSlot;
      const { route } = this.options;
      if (checked !== null) {
        // Its head was checked when it came.
        this.pendingSlot = null;
        this.serve(checked, route.process(head.headers, this.remoteAddress, body));
      } else {
        const slot: Slot = { outcome: null, close: head.close || this.lastRequest };
        this.slots.push(slot);
        this.serve(slot, route.answer(head.headers, this.remoteAddress, body));
      }
      this.requestDone(head.close);
      offset = head.bodyEnd;
    }
  }

  /**
   * Keeps an incomplete request, `buf[offset…]`. When its head has just become complete it is
   * checked at once: refused on the head alone, it is answered now and its body skipped.
   */
  private keep(buf: Buffer, offset: number, pending: PendingRequest | null, head: FastHead | null): void {
    if (head !== null && this.pendingSlot === null) {
      const slot: Slot = { outcome: null, close: head.close || this.lastRequest };
      this.slots.push(slot);
      const early = this.options.route.check(head.headers, this.remoteAddress);
      if (early !== null) {
        this.dropPending();
        // Its body is skipped as it comes; unless the answer closes the connection, which then reads no more.
        if (head.close || closesConnection(early)) this.ending = true;
        else {
          this.discard = head.bodyEnd - buf.length;
          this.discardSinceMs = pending?.sinceMs ?? Date.now();
        }
        this.answered(slot, early);
        return;
      }
      this.pendingSlot = slot;
    }
    if (pending !== null) {
      // The pending request's own buffer: offsets already count from its first byte.
      if (head !== null) pending.head = head;
      else pending.scanned = buf.length;
      return;
    }
    // A new request: its bytes move to a buffer of their own (answered bodies may still point into `buf`).
    this.dropPending();
    const shifted = head === null || offset === 0 ? head : { ...head, bodyStart: head.bodyStart - offset, bodyEnd: head.bodyEnd - offset };
    this.pending = PendingRequest.start(buf.subarray(offset), shifted, this.options.budget, Date.now());
    if (this.pending === null) this.refuse(SERVER_BUSY);
  }

  /** A request was read whole (or skipped to its end): the next one starts afresh, unless this one closes. */
  private requestDone(close: boolean): void {
    this.dropPending();
    if (close || this.lastRequest) this.ending = true;
  }

  private dropPending(): void {
    this.pending?.release();
    this.pending = null;
  }

  /**
   * Answers the request arriving now with `outcome` (after the answers before it), reads
   * nothing more, and closes. A request already checked on its head gets `outcome` in its
   * own slot; its route answer, given an empty body to finish, is not written.
   */
  private refuse(outcome: Outcome): void {
    const slot = this.pendingSlot ?? { outcome: null, close: true };
    if (slot !== this.pendingSlot) this.slots.push(slot);
    this.pendingSlot = null;
    this.dropPending();
    this.discard = 0;
    this.ending = true;
    this.options.route.refused(outcome);
    slot.close = true;
    this.answered(slot, outcome);
  }

  private serve(slot: Slot, answer: Promise<Outcome>): void {
    answer.then((outcome) => this.answered(slot, outcome), this.fail); // answers do not reject; if one ever does, say so
  }

  /** A request's answer is ready: written once those before it are. */
  private answered(slot: Slot, outcome: Outcome): void {
    if (closesConnection(outcome)) slot.close = true;
    slot.outcome = outcome;
    this.flushOrFail();
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
        this.dropPending();
        this.close();
        return;
      }
    }
    if (slots.length > 0) return;
    if (this.handOverRest !== null) {
      const rest = this.handOverRest;
      this.handOverRest = null;
      this.detach();
      options.handOver(socket, rest, this.clientEnded);
      return;
    }
    this.resumeIfRoom();
  }

  private handOverAfterAnswers(rest: Buffer): void {
    this.dropPending();
    if (this.slots.length > 0) {
      this.handOverRest = rest;
      this.socket.pause();
      return;
    }
    this.detach();
    this.options.handOver(this.socket, rest, this.clientEnded);
  }

  /** Ends the connection after the answers written (a lingering close, `close.ts`), once. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    closeAfter(this.socket);
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
    if (this.slots.length === 0 && this.handOverRest === null && !this.arriving) this.socket.destroy();
  };

  /** The client sent its last byte: answer what was asked (a request it cut short: 400), then close. */
  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.arriving && !this.ending) {
      this.refuse(CUT_SHORT);
      return;
    }
    this.ending = true;
    if (this.slots.length === 0 && this.handOverRest === null) this.close();
  };

  private readonly onError = (): void => {
    this.socket.destroy(); // a reset, or a write after the client left: nobody reads the answers
  };

  private readonly onClose = (): void => {
    this.slots.length = 0;
    this.handOverRest = null;
    this.pendingSlot = null;
    this.dropPending();
    this.detach();
  };
}
