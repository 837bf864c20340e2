/**
 * The bytes of one fast-path request that has not fully arrived. While its head is
 * incomplete the buffer grows by doubling (a head trickling in is copied O(n) times, not
 * O(n²)) up to the head's limit; once the head tells the request's size, the buffer is
 * exactly that size. Its size is reserved from the budget shared by every connection, so
 * stalled requests cannot hold more than `COLLECTOR_BUFFER_MB` together.
 */
import type { ByteBudget } from '../body/budget.ts';
import { type FastHead, MAX_HEAD_BYTES } from './head.ts';

/** The most a head may take before it is complete (or handed to Node): the limit and its `CRLFCRLF`. */
const HEAD_CAPACITY = MAX_HEAD_BYTES + 4;
const FIRST_CAPACITY = 1024;

export class PendingRequest {
  private buffer: Buffer;
  private length = 0;
  /** The head once complete, its offsets counted from the request's first byte. */
  head: FastHead | null;
  /** How far the bytes were searched for the head's end. */
  scanned: number;
  /** When the request's first byte came (the head and request timeouts count from it). */
  readonly sinceMs: number;
  private readonly budget: ByteBudget;

  private constructor(budget: ByteBudget, head: FastHead | null, scanned: number, sinceMs: number) {
    this.budget = budget;
    this.head = head;
    this.scanned = scanned;
    this.sinceMs = sinceMs;
    this.buffer = Buffer.alloc(0);
  }

  /**
   * Keeps `rest`, the first bytes of a request (its head when complete, offsets counted from
   * `rest`'s start); null when the budget cannot hold them.
   */
  static start(rest: Buffer, head: FastHead | null, budget: ByteBudget, nowMs: number): PendingRequest | null {
    const pending = new PendingRequest(budget, head, head === null ? rest.length : 0, nowMs);
    return pending.append(rest) === null ? null : pending;
  }

  /** Adds bytes; answers all the bytes so far, or null when the budget cannot hold them. */
  append(chunk: Buffer): Buffer | null {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const size = Math.max(
        needed,
        this.head === null ? Math.min(Math.max(this.buffer.length * 2, FIRST_CAPACITY), HEAD_CAPACITY) : this.head.bodyEnd,
      );
      if (!this.budget.take(size - this.buffer.length)) return null;
      const bigger = Buffer.allocUnsafe(size);
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    chunk.copy(this.buffer, this.length);
    this.length = needed;
    return this.buffer.subarray(0, needed);
  }

  /** Gives its reservation back (the request was read whole, dropped or handed over). */
  release(): void {
    this.budget.give(this.buffer.length);
    this.buffer = Buffer.alloc(0);
    this.length = 0;
  }

  /** Bytes of the request still to come, once its head is known. */
  get missing(): number {
    return this.head === null ? 0 : this.head.bodyEnd - this.length;
  }
}
